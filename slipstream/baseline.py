"""Baseline statistics of the training data: what drift monitoring (PSI per feature) compares traffic against.

Bins are right-closed, `(edge[i], edge[i + 1]]`, with -inf/+inf outer edges so every value falls in a
bin; use `bin_proportions` on captured traffic so both sides bin the same way. Only pandas and numpy:
it runs in the ValidateData Lambda and in the drift Lambda.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from slipstream.contract import Contract, Feature
from slipstream.data_profile import text_counts

BINS = 10
_FEW_EDGES = 16  # up to this many inner edges, bin_proportions compares instead of searching
BASELINE_VERSION = 1


def baseline_statistics(df: pd.DataFrame, contract: Contract) -> dict[str, Any]:
    """Per-feature distributions and the label/target distribution of `df`, as plain JSON-able values.

    No NaN anywhere: a statistic that does not exist (the mean of an all-null column) is None. The outer
    bin edges are -inf/+inf (Python's `json` writes them as `-Infinity`/`Infinity`).
    """
    return {
        "version": BASELINE_VERSION,
        "row_count": len(df),
        "features": {feature.name: _feature_statistics(df[feature.name], feature) for feature in contract.features},
        "target": _target_statistics(df[contract.target], contract),
    }


def bin_edges(values: pd.Series, bins: int = BINS) -> list[float]:
    """Quantile edges of the non-null values, deduplicated, with -inf/+inf outside."""
    return _edges(_numbers(values), bins)


def _edges(numbers: np.ndarray, bins: int = BINS) -> list[float]:
    if not len(numbers):
        return [-math.inf, math.inf]
    inner = np.unique(np.quantile(numbers, np.linspace(0, 1, bins + 1)[1:-1]))
    return [-math.inf, *(float(edge) for edge in inner), math.inf]


def bin_proportions(values: pd.Series | np.ndarray, edges: list[float]) -> list[float]:
    """Share of the non-null values in each right-closed bin `(edges[i], edges[i + 1]]`.

    A float array is taken as already numeric (the drift verdicts call this for every feature of every window).
    """
    numbers = _numbers(values)
    if not len(numbers):
        return [0.0] * (len(edges) - 1)
    inner = np.asarray(edges[1:-1], dtype=float)
    if len(inner) <= _FEW_EDGES:
        # One vectorized comparison per edge is ~3x faster than a binary search per value for a handful of edges:
        # the values at or below each edge, then the differences are the right-closed bins' counts.
        at_or_below = [int(np.count_nonzero(numbers <= edge)) for edge in inner]
        counts = np.diff([0, *at_or_below, len(numbers)])
    else:  # side="left" puts a value equal to an edge in the bin that edge closes.
        counts = np.bincount(np.searchsorted(inner, numbers, side="left"), minlength=len(edges) - 1)
    return [float(count) / len(numbers) for count in counts]


def _feature_statistics(values: pd.Series, feature: Feature) -> dict[str, Any]:
    null_rate = _rate(values.isna().sum(), len(values))
    if feature.kind == "categorical":
        return {"kind": "categorical", "frequencies": _frequencies(values), "null_rate": null_rate}
    numbers = _numbers(values)  # once: the edges, the shares and the moments all read this array
    edges = _edges(numbers)
    return {
        "kind": "numeric",
        "bin_edges": edges,
        "proportions": bin_proportions(numbers, edges),
        "mean": _finite(np.mean(numbers)) if len(numbers) else None,
        "std": _finite(np.std(numbers)) if len(numbers) else None,
        "min": _finite(np.min(numbers)) if len(numbers) else None,
        "max": _finite(np.max(numbers)) if len(numbers) else None,
        "null_rate": null_rate,
    }


def _target_statistics(values: pd.Series, contract: Contract) -> dict[str, Any]:
    if contract.task == "classification":
        return {"name": contract.target, "kind": "labels", "label_distribution": _frequencies(values)}
    numbers = _numbers(values)
    levels = [round(level, 2) for level in np.linspace(0, 1, BINS + 1)]
    quantiles = [_finite(value) for value in np.quantile(numbers, levels)] if len(numbers) else [None] * len(levels)
    return {
        "name": contract.target,
        "kind": "quantiles",
        "levels": levels,
        "quantiles": quantiles,
        "mean": _finite(np.mean(numbers)) if len(numbers) else None,
        "std": _finite(np.std(numbers)) if len(numbers) else None,
    }


def _frequencies(values: pd.Series) -> dict[str, float]:
    """Share of each value among the non-null ones, keyed by its text (as the contract keys categories)."""
    counts = text_counts(values)
    total = int(counts.sum())
    return {str(name): _rate(count, total) for name, count in counts.items()}


def _numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return values[~np.isnan(values)]
    return pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)


def _rate(count: Any, total: int) -> float:
    return float(count) / total if total else 0.0


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None
