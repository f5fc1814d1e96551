"""Seeded simulated experiments, decided by the production `decide` (which looks after every row)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
from scipy.stats import binomtest

from slipstream.experiment.decide import VariantData, decide
from slipstream.experiment.result import ExperimentResult
from slipstream.experiment_config import ExperimentConfig, resolve_experiment

Draw = Callable[[np.random.Generator, int], np.ndarray]


def settings(**update: object) -> ExperimentConfig:
    base = ExperimentConfig(**update)  # type: ignore[arg-type]
    task = "classification" if (base.metric or "accuracy") in ("accuracy", "log_loss") else "regression"
    return resolve_experiment(base, task=task, promote="challenger")


def bernoulli(p: float) -> Draw:
    return lambda rng, n: (rng.random(n) < p).astype(float)


def run_experiment(
    rng: np.random.Generator, rows: int, champion: Draw, challenger: Draw, config: ExperimentConfig
) -> ExperimentResult:
    """`rows` requests, each routed to the challenger with the configured weight, each with one outcome."""
    to_challenger = rng.random(rows) < (config.weight or 0.0)
    arrival = np.arange(rows, dtype=float)
    n_challenger = int(to_challenger.sum())
    data = [
        VariantData(outcomes=draw(rng, n), assigned=n, order=arrival[mask])
        for draw, n, mask in (
            (champion, rows - n_challenger, ~to_challenger),
            (challenger, n_challenger, to_challenger),
        )
    ]
    return decide(data[0], data[1], config)


def decisions(
    experiments: int, rows: int, champion: Draw, challenger: Draw, config: ExperimentConfig, seed: int
) -> Counter[str]:
    rng = np.random.default_rng(seed)
    return Counter(run_experiment(rng, rows, champion, challenger, config).decision for _ in range(experiments))


def rate_with_interval(count: int, total: int) -> tuple[float, float, float]:
    """Observed rate and its exact (Clopper-Pearson) 95% interval."""
    interval = binomtest(count, total).proportion_ci(confidence_level=0.95, method="exact")
    return count / total, interval.low, interval.high
