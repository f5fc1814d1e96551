"""Each held-out metric as a weighted sum over rows, for many bootstrap resamples at once.

A resample is a row of counts (how often each held-out row was drawn), so one matrix product scores every
resample: no scikit-learn call per resample. At unit weights every function equals eval_metrics' scikit-learn
value (tests/model/test_gate_statistics.py checks it), so the bootstrap resamples the very metric the gate reads.
Each function takes `weights` of shape (resamples, rows) and returns one value per resample (NaN: undefined).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Weights = np.ndarray


@dataclass(frozen=True)
class Outputs:
    """One model's output on the held-out rows. Classification: `predicted` and `truth` are indices into the
    challenger's classes (-1: a label outside them), `proba` the probabilities in that class order."""

    truth: np.ndarray
    predicted: np.ndarray
    proba: np.ndarray | None = None
    n_classes: int = 0

    def rows(self, chosen: np.ndarray) -> Outputs:
        proba = None if self.proba is None else self.proba[chosen]
        return Outputs(self.truth[chosen], self.predicted[chosen], proba, self.n_classes)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.nan)


def _mse(out: Outputs, w: Weights) -> np.ndarray:
    return _ratio(w @ (out.truth - out.predicted) ** 2, w.sum(axis=1))


def _rmse(out: Outputs, w: Weights) -> np.ndarray:
    return np.sqrt(_mse(out, w))


def _mae(out: Outputs, w: Weights) -> np.ndarray:
    return _ratio(w @ np.abs(out.truth - out.predicted), w.sum(axis=1))


def _r2(out: Outputs, w: Weights) -> np.ndarray:
    centred = out.truth - out.truth.mean()  # R² does not depend on the origin; centring keeps the sums exact
    total = w.sum(axis=1)
    mean = _ratio(w @ centred, total)
    spread = w @ centred**2 - total * mean**2
    residual = w @ (out.truth - out.predicted) ** 2
    return np.where(spread > 1e-12 * np.maximum(w @ centred**2, 1e-300), 1.0 - _ratio(residual, spread), np.nan)


def _accuracy(out: Outputs, w: Weights) -> np.ndarray:
    return _ratio(w @ (out.predicted == out.truth).astype(float), w.sum(axis=1))


def _binary_f1(out: Outputs, w: Weights, label: int) -> np.ndarray:
    said, was = out.predicted == label, out.truth == label
    hits = w @ (said & was).astype(float)
    denominator = w @ said.astype(float) + w @ was.astype(float)  # 2tp + fp + fn
    return np.where(denominator > 0, 2 * hits / np.where(denominator > 0, denominator, 1.0), 0.0)


def _f1(out: Outputs, w: Weights) -> np.ndarray:
    if out.n_classes == 2:  # the last class is positive, as in eval_metrics
        return _binary_f1(out, w, 1)
    return np.mean([_binary_f1(out, w, k) for k in range(out.n_classes)], axis=0)


def _auc(scores: np.ndarray, positive: np.ndarray, w: Weights) -> np.ndarray:
    """Mann-Whitney AUC with tied scores counted as half, weighted by the resample counts."""
    order = np.argsort(scores, kind="mergesort")
    ranked, is_positive = scores[order], positive[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    sorted_w = w[:, order]
    pos = np.add.reduceat(sorted_w * is_positive, starts, axis=1)
    neg = np.add.reduceat(sorted_w * ~is_positive, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    return _ratio((pos * (below + 0.5 * neg)).sum(axis=1), pos.sum(axis=1) * neg.sum(axis=1))


def _roc_auc(out: Outputs, w: Weights) -> np.ndarray:
    assert out.proba is not None
    n_classes = out.proba.shape[1]
    if n_classes == 2:
        return _auc(out.proba[:, 1], out.truth == 1, w)
    return np.mean([_auc(out.proba[:, k], out.truth == k, w) for k in range(n_classes)], axis=0)


def _log_loss(out: Outputs, w: Weights) -> np.ndarray:
    assert out.proba is not None
    proba = out.proba / out.proba.sum(axis=1, keepdims=True)
    eps = np.finfo(proba.dtype).eps
    picked = np.clip(proba[np.arange(len(out.truth)), out.truth], eps, 1 - eps)
    return _ratio(w @ -np.log(picked), w.sum(axis=1))


METRIC_FUNCTIONS: dict[str, dict[str, Callable[[Outputs, Weights], np.ndarray]]] = {
    "classification": {"accuracy": _accuracy, "f1": _f1, "roc_auc": _roc_auc, "log_loss": _log_loss},
    "regression": {"r2": _r2, "rmse": _rmse, "mae": _mae},
}
NEEDS_PROBA = frozenset({"roc_auc", "log_loss"})
