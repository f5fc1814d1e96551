"""Held-out metrics, computed the same way for the challenger and the champion.

Every metric is a number or None; when None, `notes[name]` says why (e.g. one class in the test labels).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)
from sm_paths import to_jsonable


def _record(name: str, compute: Callable[[], float], metrics: dict[str, Any], notes: dict[str, str]) -> None:
    """metrics[name] = compute(), or None with the reason in notes (scikit-learn warns or raises on edge cases)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = float(compute())
    except (ValueError, TypeError) as error:  # e.g. labels the model never saw, mixed label types
        metrics[name], notes[name] = None, str(error)
        return
    if math.isfinite(value):
        metrics[name] = value
    else:
        metrics[name], notes[name] = None, notes.get(name, f"{name} is undefined on this data")


def _f1(y: pd.Series, predicted: np.ndarray, classes: list[Any]) -> float:
    if len(classes) == 2:  # the last class is the positive one, as for roc_auc and the directional tests
        return f1_score(y, predicted, pos_label=classes[-1], average="binary")
    return f1_score(y, predicted, labels=classes, average="macro", zero_division=0)


def _roc_auc(
    y: Any,
    proba: np.ndarray,
    classes: list[Any],
    notes: dict[str, str],
    present: set[Any] | None = None,
    labels: list[Any] | None = None,
) -> Callable[[], float]:
    """`present`, `labels`: the label values and the model's classes, for the notes, when `y` and `classes` are
    positions (as_codes)."""
    present = set(pd.unique(y)) if present is None else present
    labels = classes if labels is None else labels
    if len(classes) == 2:
        if len(present) < 2:
            notes["roc_auc"] = f"only one class ({sorted(map(str, present))[0]}) is present in the test labels"
        return lambda: roc_auc_score(np.asarray(y == classes[-1], dtype=int), proba[:, -1])
    absent = [c for c in labels if c not in present]
    if absent:
        notes["roc_auc"] = f"class(es) {to_jsonable(absent)} do not appear in the test labels"
    return lambda: roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)


def as_codes(y: Any, predicted: Any, classes: list[Any]) -> tuple[Any, Any, list[Any]] | None:
    """Labels and predictions as positions in `classes` (the model's sorted classes_), or None when a label is
    not one of them. scikit-learn's metrics validate and np.unique their inputs on every call, which on a
    million text labels costs seconds; on the positions they cost milliseconds and give the same value, since
    the positions keep the classes' order (the notes of the None case keep naming the labels themselves)."""
    index = pd.Index(classes)
    if not index.is_unique:
        return None
    truth, said = index.get_indexer(pd.Index(y)), index.get_indexer(pd.Index(predicted))
    if (truth < 0).any() or (said < 0).any():
        return None
    return truth, said, list(range(len(classes)))


def predictions(pipeline: Any, features: pd.DataFrame) -> tuple[Any, Any]:
    """(predict, predict_proba or None); a FrameModel runs its preprocessing once for both."""
    if hasattr(pipeline, "outputs"):
        return pipeline.outputs(features)
    return pipeline.predict(features), pipeline.predict_proba(features) if hasattr(pipeline, "predict_proba") else None


def classification_metrics(pipeline: Any, features: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    """accuracy, f1 (binary: last class positive; else macro), roc_auc (ovr macro), log_loss, confusion matrix."""
    labels = list(pipeline.classes_)
    predicted, proba = predictions(pipeline, features)
    metrics: dict[str, Any] = {}
    notes: dict[str, str] = {}
    present = set(pd.unique(y))
    coded = as_codes(y, predicted, labels)
    y, predicted, classes = (y, predicted, labels) if coded is None else coded
    _record("accuracy", lambda: accuracy_score(y, predicted), metrics, notes)
    _record("f1", lambda: _f1(y, predicted, classes), metrics, notes)
    if proba is None:
        for name in ("roc_auc", "log_loss"):
            metrics[name], notes[name] = None, "the estimator has no predict_proba"
    else:
        _record("roc_auc", _roc_auc(y, proba, classes, notes, present, labels), metrics, notes)
        _record("log_loss", lambda: log_loss(y, proba, labels=classes), metrics, notes)
    matrix = confusion_matrix(y, predicted, labels=classes)
    return {
        "metrics": metrics,
        "notes": notes,
        "confusion_matrix": {"labels": to_jsonable(labels), "matrix": to_jsonable(matrix)},
    }


def regression_metrics(pipeline: Any, features: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    predicted = pipeline.predict(features)
    metrics: dict[str, Any] = {}
    notes: dict[str, str] = {}
    # sqrt of MSE rather than root_mean_squared_error: older SageMaker images ship scikit-learn < 1.4.
    _record("rmse", lambda: np.sqrt(mean_squared_error(y, predicted)), metrics, notes)
    _record("mae", lambda: mean_absolute_error(y, predicted), metrics, notes)
    if len(y) < 2:
        notes["r2"] = "r2 needs at least two test rows"
    _record("r2", lambda: r2_score(y, predicted), metrics, notes)
    return {"metrics": metrics, "notes": notes}


def _classification_value(name: str, pipeline: Any, features: pd.DataFrame, y: pd.Series) -> Callable[[], float]:
    classes = list(pipeline.classes_)
    if name in ("accuracy", "f1"):
        predicted = pipeline.predict(features)
        return (lambda: accuracy_score(y, predicted)) if name == "accuracy" else (lambda: _f1(y, predicted, classes))
    if not hasattr(pipeline, "predict_proba"):
        return lambda: math.nan
    proba = pipeline.predict_proba(features)
    return _roc_auc(y, proba, classes, {}) if name == "roc_auc" else (lambda: log_loss(y, proba, labels=classes))


REGRESSION_VALUES: dict[str, Callable[[pd.Series, np.ndarray], float]] = {
    "rmse": lambda y, predicted: np.sqrt(mean_squared_error(y, predicted)),
    "mae": mean_absolute_error,
    "r2": r2_score,
}


def metric_value(task: str, name: str, pipeline: Any, features: pd.DataFrame, y: pd.Series) -> float | None:
    """One metric, computed as compute_metrics computes it but with only the predictions it needs (permutation
    importance rescores the model many times); None where compute_metrics would give None."""
    if task == "classification":
        compute = _classification_value(name, pipeline, features, y)
    else:
        predicted = pipeline.predict(features)
        compute = lambda: REGRESSION_VALUES[name](y, predicted)  # noqa: E731
    metrics: dict[str, Any] = {}
    _record(name, compute, metrics, {})
    return metrics[name]


def compute_metrics(task: str, pipeline: Any, features: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    """{"metrics": {...}, "notes": {...}} plus "confusion_matrix" for classification."""
    if task == "classification":
        return classification_metrics(pipeline, features, y)
    return regression_metrics(pipeline, features, y)
