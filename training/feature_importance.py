"""Permutation importance of the model's input columns on the held-out rows (scikit-learn's
permutation_importance), and the flags a reviewer must see (slipstream/documents/evaluation.py Importance).

Each raw input column (before imputation and one-hot encoding, which the Pipeline does itself) is shuffled
N_REPEATS times and the model rescored with the gate's metric, computed as eval_metrics computes it. A
feature's importance is the score on the rows as they are minus the score with the column shuffled, in the
metric's units, turned so that positive means "the model relies on it" (error metrics are negated). Seeded
with the model's seed. Cost: features x N_REPEATS scorings (predictions) of at most MAX_ROWS rows; above that a seeded
subset of MAX_ROWS held-out rows is used.

A feature is distinguishable from noise when its mean importance exceeds NOISE_STDS standard deviations of
the repeats (mean - 2 std > 0). The spread is the shuffles' own, not the held-out sample's: on a small
held-out set read the ranking, not the third decimal. The "top feature" the flags look at is the first in
the ranking that is distinguishable from noise (a higher mean with a wider spread is not a finding).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from eval_metrics import metric_value
from sklearn.inspection import permutation_importance

N_REPEATS = 5
MAX_ROWS = 2000
NOISE_STDS = 2.0
LOWER_IS_BETTER = {"rmse", "mae", "log_loss"}  # slipstream/config.py METRICS, which the image cannot import


def _scorer(task: str, metric: str) -> Any:
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0

    def score(estimator: Any, features: pd.DataFrame, y: pd.Series) -> float:
        value = metric_value(task, metric, estimator, features, y)
        return math.nan if value is None else sign * float(value)

    return score


def _rows(features: pd.DataFrame, y: pd.Series, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    if len(y) <= MAX_ROWS:
        return features, y
    chosen = np.sort(np.random.default_rng(seed).choice(len(y), MAX_ROWS, replace=False))
    return features.iloc[chosen], y.iloc[chosen]


def _ranked(names: list[str], means: np.ndarray, stds: np.ndarray) -> list[dict[str, Any]]:
    ranked = [
        {
            "feature": name,
            "mean": float(mean),
            "std": float(std),
            "distinguishable": bool(mean - NOISE_STDS * std > 0),
        }
        for name, mean, std in zip(names, means, stds, strict=True)
    ]
    return sorted(ranked, key=lambda entry: -entry["mean"])


def _flags(ranked: list[dict[str, Any]], features: list[str], settings: dict[str, Any]) -> list[dict[str, str]]:
    sensitive, identifiers = set(settings.get("sensitive") or []), set(settings.get("identifiers") or [])
    flags = [
        {
            "kind": "identifier_is_feature",
            "feature": name,
            "message": f"{name!r} is listed as an identifier but is a model input: list it in data.ignore_columns",
        }
        for name in features
        if name in identifiers
    ]
    top = next((entry for entry in ranked if entry["distinguishable"]), None)
    for kind, listed in (("sensitive", sensitive), ("identifier", identifiers)):
        if top is not None and top["feature"] in listed:
            flags.append(
                {
                    "kind": f"top_feature_{kind}",
                    "feature": top["feature"],
                    "message": f"the most important feature above noise, {top['feature']!r}, is listed as {kind} "
                    f"(data.{'sensitive' if kind == 'sensitive' else 'identifiers'})",
                }
            )
    return flags


def importance(
    task: str, pipeline: Any, features: pd.DataFrame, y: pd.Series, settings: dict[str, Any], seed: int
) -> dict[str, Any]:
    """The `importance` entry of evaluation.json; `settings`: {"metric", "sensitive", "identifiers"}."""
    metric = settings["metric"]
    rows, truth = _rows(features, y, seed)
    scorer = _scorer(task, metric)
    report: dict[str, Any] = {
        "method": "permutation" if len(truth) == len(y) else "permutation on a subset",
        "metric": metric,
        "orientation": "negated (an error metric)" if metric in LOWER_IS_BETTER else "as is",
        "repeats": N_REPEATS,
        "seed": seed,
        "rows": len(y),
        "rows_used": len(truth),
        "noise_rule": f"mean - {NOISE_STDS:g} std > 0",
        "features": [],
        "note": None,
    }
    if math.isnan(scorer(pipeline, rows, truth)):
        report["note"] = f"{metric} is undefined on the held-out rows, so no feature could be scored"
    else:
        result = permutation_importance(
            pipeline, rows, truth, scoring=scorer, n_repeats=N_REPEATS, random_state=seed, n_jobs=1
        )
        report["features"] = _ranked(list(rows.columns), result.importances_mean, result.importances_std)
    report["flags"] = _flags(report["features"], list(features.columns), settings)
    return report
