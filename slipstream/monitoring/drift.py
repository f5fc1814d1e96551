"""Population Stability Index per feature and for the predictions, against the training baseline.

PSI = sum((live - base) * ln(live / base)) over bins. Numeric features use the baseline's own bin edges
(`slipstream.baseline.bin_proportions`, so traffic is binned exactly as the training data was);
categorical features use category frequencies, with categories never seen in training pooled into one
"(unseen)" bin whose baseline share is 0, so new values count as drift instead of vanishing.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from slipstream.baseline import bin_proportions

Status = Literal["ok", "drift", "not enough data"]
EPSILON = 1e-4  # stands in for an empty bin: ln(0) is undefined, and one empty bin must not mean infinite drift
UNSEEN = "(unseen)"


@dataclass(frozen=True)
class Drift:
    """One distribution compared with its baseline. `psi` is None when there is not enough data."""

    name: str
    kind: str  # numeric | categorical | prediction
    status: Status
    psi: float | None
    n: int
    bins: list[str]
    expected: list[float]
    actual: list[float]
    unseen: list[str] = field(default_factory=list)


def psi(expected: Sequence[float], actual: Sequence[float], epsilon: float = EPSILON) -> float:
    """PSI of two proportion vectors over the same bins (each should sum to 1)."""
    if len(expected) != len(actual):
        raise ValueError(f"{len(expected)} baseline bins but {len(actual)} live bins")
    base = np.clip(np.asarray(expected, dtype=float), epsilon, None)
    live = np.clip(np.asarray(actual, dtype=float), epsilon, None)
    return float(np.sum((live - base) * np.log(live / base)))


def judge(value: float | None, n: int, min_samples: int, threshold: float) -> tuple[Status, float | None]:
    if n < min_samples or value is None:
        return "not enough data", None
    return ("drift" if value > threshold else "ok"), value


def numeric_drift(
    name: str, baseline: dict[str, Any], values: pd.Series, *, min_samples: int, threshold: float
) -> Drift:
    edges = [float(edge) for edge in baseline["bin_edges"]]
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    actual = bin_proportions(numbers, edges)
    expected = [float(share) for share in baseline["proportions"]]
    status, value = judge(psi(expected, actual) if len(numbers) else None, len(numbers), min_samples, threshold)
    return Drift(name, "numeric", status, value, len(numbers), _bin_labels(edges), expected, actual)


def categorical_drift(
    name: str, frequencies: dict[str, float], values: pd.Series, *, min_samples: int, threshold: float, kind: str
) -> Drift:
    """`frequencies`: the baseline share of each category, keyed by its text (as baseline.json keys them)."""
    present = values.dropna().astype(str)
    counts = present.value_counts()
    known = list(frequencies)
    unseen = sorted(str(value) for value in counts.index if value not in frequencies)
    total = len(present)
    actual = [float(counts.get(category, 0)) / total if total else 0.0 for category in known]
    actual.append(float(sum(counts[value] for value in unseen)) / total if total else 0.0)
    expected = [float(frequencies[category]) for category in known] + [0.0]
    status, value = judge(psi(expected, actual) if total else None, total, min_samples, threshold)
    return Drift(name, kind, status, value, total, [*known, UNSEEN], expected, actual, unseen)


def feature_drift(
    name: str, baseline: dict[str, Any], values: pd.Series, *, min_samples: int, threshold: float
) -> Drift:
    if baseline["kind"] == "numeric":
        return numeric_drift(name, baseline, values, min_samples=min_samples, threshold=threshold)
    return categorical_drift(
        name, baseline["frequencies"], values, min_samples=min_samples, threshold=threshold, kind="categorical"
    )


def prediction_drift(target: dict[str, Any], predictions: pd.Series, *, min_samples: int, threshold: float) -> Drift:
    """Predicted labels vs the training label distribution, or predicted values vs the target's quantiles."""
    if target["kind"] == "labels":
        return categorical_drift(
            "prediction",
            target["label_distribution"],
            predictions,
            min_samples=min_samples,
            threshold=threshold,
            kind="prediction",
        )
    edges, expected = quantile_bins(target["levels"], target["quantiles"])
    numbers = pd.to_numeric(predictions, errors="coerce").dropna()
    actual = bin_proportions(numbers, edges)
    status, value = judge(psi(expected, actual) if len(numbers) else None, len(numbers), min_samples, threshold)
    return Drift("prediction", "prediction", status, value, len(numbers), _bin_labels(edges), expected, actual)


def quantile_bins(levels: list[float], quantiles: list[float | None]) -> tuple[list[float], list[float]]:
    """Bins between the target's quantiles below its maximum (-inf/+inf outside) and the training share of each.

    A repeated quantile (a target with few distinct values) takes the highest level that reached it, so
    its bin holds every level it covers.
    """
    reached: dict[float, float] = {}  # quantile value -> highest level whose quantile it is
    for level, value in zip(levels[1:], quantiles[1:], strict=True):
        if value is not None:
            reached[float(value)] = max(reached.get(float(value), 0.0), float(level))
    top = max(reached, default=math.inf)
    inner = sorted(edge for edge in reached if edge < top)
    expected, previous = [], 0.0
    for edge in inner:
        expected.append(reached[edge] - previous)
        previous = reached[edge]
    expected.append(1.0 - previous)
    return [-math.inf, *inner, math.inf], expected


def _bin_labels(edges: list[float]) -> list[str]:
    def show(edge: float) -> str:
        return "-inf" if edge == -math.inf else "inf" if edge == math.inf else f"{edge:.4g}"

    return [f"({show(low)}, {show(high)}]" for low, high in itertools.pairwise(edges)]
