"""Drift of each feature and of the predictions against the training baseline: a test, an effect size, a verdict.

Why these choices (docs/monitoring.md says the same for users):

- The test is a chi-square on the baseline's own bins: numeric features binned by baseline.json's edges
  (`slipstream.baseline.bin_proportions`, so traffic is binned exactly as the training data was),
  categorical features and predicted labels by category, predicted values by the target's quantiles.
  One test fits every kind, its null distribution is known in closed form (`stats.chi2_sf`, no scipy in
  the drift Lambda), and it is two-sample: the baseline is itself a sample (its `row_count`), so a small
  training set does not make ordinary traffic look drifted. Baselines written before `row_count` existed
  are tested for goodness of fit instead (slightly more false alarms on large windows).
- Categories never seen in training are pooled into one "(unseen)" bin whose baseline share is 0, so new
  values count as drift instead of vanishing; rare bins are pooled for the test (`stats.pool_rare`).
- Every test of one model version (each feature and the prediction) is one family: Holm's correction
  (`figures.decide`) keeps P(any false drift verdict in a window) <= `drift_alpha` whatever the window size
  and however the features correlate, where a fixed PSI threshold on the maximum over ~30 features fired
  on most small healthy windows.
- Significance alone would flag a negligible shift in a huge window, so drift also needs an effect:
  PSI = sum((live - base) * ln(live / base)) of at least `drift_min_psi`. PSI is the effect size shown
  beside each verdict (and published, so the dashboard keeps its PSI widgets).
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
from slipstream.data_profile import text_counts
from slipstream.monitoring.stats import TestResult, chi_square

Status = Literal["ok", "drift", "not enough data"]
EPSILON = 1e-4  # stands in for an empty bin: ln(0) is undefined, and one empty bin must not mean infinite drift
UNSEEN = "(unseen)"


@dataclass(frozen=True)
class Drift:
    """One distribution compared with its baseline. `psi` and the test are None when there is not enough data.

    `p_adjusted` is filled by `figures.decide` (Holm over the version's family); until then status is
    "ok" or "not enough data".
    """

    name: str
    kind: str  # numeric | categorical | prediction
    status: Status
    psi: float | None
    n: int
    bins: list[str]
    expected: list[float]
    actual: list[float]
    unseen: list[str] = field(default_factory=list)
    test: TestResult | None = None
    p_adjusted: float | None = None


def psi(expected: Sequence[float], actual: Sequence[float], epsilon: float = EPSILON) -> float:
    """PSI of two proportion vectors over the same bins (each should sum to 1)."""
    if len(expected) != len(actual):
        raise ValueError(f"{len(expected)} baseline bins but {len(actual)} live bins")
    base = np.clip(np.asarray(expected, dtype=float), epsilon, None)
    live = np.clip(np.asarray(actual, dtype=float), epsilon, None)
    return float(np.sum((live - base) * np.log(live / base)))


def base_rows(row_count: Any, null_rate: Any = None) -> int | None:
    """Non-null baseline rows behind a feature's shares; None when the baseline predates `row_count`."""
    if not isinstance(row_count, int | float) or row_count <= 0:
        return None
    return max(1, round(row_count * (1.0 - float(null_rate or 0.0))))


def compare(
    name: str, kind: str, labels: list[str], expected: list[float], actual: list[float], n: int, **context: Any
) -> Drift:
    """The effect and the test of one distribution; `context`: min_samples, rows (baseline), unseen."""
    if n < context["min_samples"]:
        return Drift(name, kind, "not enough data", None, n, labels, expected, actual, context.get("unseen", []))
    test = chi_square([share * n for share in actual], expected, context["rows"])
    effect = psi(expected, actual)
    return Drift(name, kind, "ok", effect, n, labels, expected, actual, context.get("unseen", []), test)


def numeric_drift(
    name: str, baseline: dict[str, Any], values: pd.Series, *, min_samples: int, rows: int | None
) -> Drift:
    edges = [float(edge) for edge in baseline["bin_edges"]]
    numbers = numeric(values)
    actual = bin_proportions(numbers, edges)
    expected = [float(share) for share in baseline["proportions"]]
    return compare(
        name, "numeric", _bin_labels(edges), expected, actual, len(numbers), min_samples=min_samples, rows=rows
    )


def categorical_drift(
    name: str, frequencies: dict[str, float], values: pd.Series, *, min_samples: int, rows: int | None, kind: str
) -> Drift:
    """`frequencies`: the baseline share of each category, keyed by its text (as baseline.json keys them)."""
    counts = text_counts(values)  # counted first, then only the distinct values turned into text
    known = list(frequencies)
    unseen = sorted(str(value) for value in counts.index if value not in frequencies)
    total = int(counts.sum())
    actual = [float(counts.get(category, 0)) / total if total else 0.0 for category in known]
    actual.append(float(sum(counts[value] for value in unseen)) / total if total else 0.0)
    expected = [float(frequencies[category]) for category in known] + [0.0]
    labels = [*known, UNSEEN]
    return compare(name, kind, labels, expected, actual, total, min_samples=min_samples, rows=rows, unseen=unseen)


def feature_drift(
    name: str, baseline: dict[str, Any], values: pd.Series, *, min_samples: int, row_count: Any = None
) -> Drift:
    """`row_count`: baseline.json's `row_count` (None for baselines that predate it)."""
    rows = base_rows(row_count, baseline.get("null_rate"))
    if baseline["kind"] == "numeric":
        return numeric_drift(name, baseline, values, min_samples=min_samples, rows=rows)
    return categorical_drift(
        name, baseline["frequencies"], values, min_samples=min_samples, rows=rows, kind="categorical"
    )


def prediction_drift(
    target: dict[str, Any], predictions: pd.Series, *, min_samples: int, row_count: Any = None
) -> Drift:
    """Predicted labels vs the training label distribution, or predicted values vs the target's quantiles."""
    rows = base_rows(row_count)
    if target["kind"] == "labels":
        frequencies = target["label_distribution"]
        return categorical_drift(
            "prediction", frequencies, predictions, min_samples=min_samples, rows=rows, kind="prediction"
        )
    edges, expected = quantile_bins(target["levels"], target["quantiles"])
    numbers = numeric(predictions)
    actual = bin_proportions(numbers, edges)
    labels = _bin_labels(edges)
    return compare(
        "prediction", "prediction", labels, expected, actual, len(numbers), min_samples=min_samples, rows=rows
    )


def numeric(values: pd.Series) -> np.ndarray:
    """The values as floats, nulls and text that is not a number dropped."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return numbers[~np.isnan(numbers)]


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
