"""Captured rows joined with feedback -> per-variant outcomes, and the experiment result from them.

The rows are `Traffic.meta` (slipstream.monitoring.traffic) left-joined with the feedback frame on
(request_id, row): columns variant, request_id, prediction, ground_truth (missing when no feedback yet),
probabilities (classifiers: {class: p} per row), timestamp, received_at, latency_ms, and optionally error
(truthy for a failed request). The statistics themselves work on plain numpy arrays (slipstream.experiment.decide).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from slipstream.experiment.decide import VariantData, decide
from slipstream.experiment.result import ExperimentResult
from slipstream.experiment_config import ExperimentConfig, OutcomeMetric
from slipstream.monitoring.traffic import Traffic, labels_as_text

logger = logging.getLogger(__name__)
VARIANTS = ("champion", "challenger")
# Probabilities are clipped so one confident mistake costs a large but finite loss (as scikit-learn's log_loss).
PROBABILITY_FLOOR = 1e-15


def experiment_rows(traffic: Traffic, feedback: pd.DataFrame) -> pd.DataFrame:
    """Every captured row, with its ground truth and feedback time where feedback arrived."""
    return traffic.meta.merge(feedback, on=["request_id", "row"], how="left")


def analyse(rows: pd.DataFrame, settings: ExperimentConfig) -> ExperimentResult:
    """The experiment result for the rows so far (see the module docstring for their columns)."""
    if settings.metric is None:
        raise ValueError("experiment.metric must be set (load the config first)")
    missing = {"variant", "request_id", "prediction", "ground_truth"} - set(rows.columns)
    if missing:
        raise ValueError(f"experiment rows lack the column(s) {', '.join(sorted(missing))}")
    data = {name: variant_data(rows[rows["variant"] == name], settings.metric) for name in VARIANTS}
    return decide(data["champion"], data["challenger"], settings)


def variant_data(rows: pd.DataFrame, metric: OutcomeMetric) -> VariantData:
    """One variant's outcomes (labelled rows, in arrival order keys) and its per-request guardrail inputs."""
    labelled = rows[rows["ground_truth"].notna()]
    outcomes = row_outcomes(labelled, metric)
    scored = labelled[~np.isnan(outcomes)]
    if len(scored) < len(labelled):
        logger.warning("%d labelled rows could not be scored for %s", len(labelled) - len(scored), metric)
    requests = rows.drop_duplicates("request_id")
    return VariantData(
        outcomes=outcomes[~np.isnan(outcomes)],
        assigned=len(requests),
        order=_arrival(scored),
        errors=_column(requests, "error", bool_=True),
        latencies_ms=_column(requests, "latency_ms"),
        versions=sorted({str(v) for v in rows.get("model_version", pd.Series(dtype=object)).dropna()}),
    )


def row_outcomes(rows: pd.DataFrame, metric: OutcomeMetric) -> npt.NDArray[np.float64]:
    """The per-row outcome; NaN where a row cannot be scored (no probability for log loss, non-numeric value)."""
    if metric == "accuracy":
        return (labels_as_text(rows["prediction"]) == labels_as_text(rows["ground_truth"])).to_numpy(dtype=float)
    if metric == "log_loss":
        truth = labels_as_text(rows["ground_truth"])
        probabilities = rows["probabilities"] if "probabilities" in rows else pd.Series([None] * len(rows))
        chance = [_probability(p, label) for p, label in zip(probabilities, truth, strict=True)]
        return -np.log(np.clip(np.asarray(chance, dtype=float), PROBABILITY_FLOOR, 1.0))
    predicted = pd.to_numeric(rows["prediction"], errors="coerce").to_numpy(dtype=float)
    actual = pd.to_numeric(rows["ground_truth"], errors="coerce").to_numpy(dtype=float)
    error = predicted - actual
    return np.abs(error) if metric == "absolute_error" else error * error


def _probability(probabilities: Any, label: str) -> float:
    if not isinstance(probabilities, dict):
        return float("nan")
    value = probabilities.get(label)
    return float(value) if isinstance(value, int | float) else 0.0  # a class the model never gave: loss is maximal


def _arrival(rows: pd.DataFrame) -> npt.NDArray[np.float64] | None:
    """Epoch seconds at which each outcome became known: the feedback time, else the prediction time."""
    times = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns, UTC]")
    for column in ("timestamp", "received_at"):
        if column in rows:
            parsed = pd.to_datetime(rows[column], utc=True, errors="coerce", format="ISO8601")
            times = parsed.where(parsed.notna(), times)
    if times.isna().any():
        return None  # without a time for every outcome, the row order is the arrival order
    return (times.astype("int64") / 1e9).to_numpy(dtype=float)


def _column(rows: pd.DataFrame, name: str, *, bool_: bool = False) -> npt.NDArray[np.float64] | None:
    if name not in rows:
        return None
    values = rows[name]
    if bool_:
        return values.fillna(False).astype(bool).to_numpy(dtype=float)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
