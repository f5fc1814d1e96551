"""Simulated evaluations for the gate's statistics, run on the image's Python (as the evaluation job is):
`python gate_simulation.py <training dir> <scenario>=<count>...` prints one JSON line of paired figures per draw,
tagged with its scenario (several scenarios per process: each process pays the scientific stack's import once).

Each draw is a fresh training set and a fresh held-out set from a known process, so the rates the test counts
are the verdicts' rates over test data, as a user would meet them. Scenarios:
  retrained   champion and challenger: the same estimator on the same data, other seeds (a random forest)
  same        the very same model as champion and challenger
  worse       champion on every informative feature, challenger on the weakest one only
  no_signal   labels independent of the features: the challenger is no better than the majority class
  regression_retrained / regression_no_signal: the same for regression (R²)
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd

TRAIN_ROWS, TEST_ROWS, FEATURES = 300, 120, 6


def _draw(rng: np.random.Generator, rows: int, task: str, signal: bool) -> tuple[np.ndarray, pd.Series]:
    # Features as a bare array: the gate reads only the models' outputs, and a frame costs scikit-learn a
    # conversion and a feature-name check on every fit and predict; the figures are the frame's to the bit.
    x = rng.normal(size=(rows, FEATURES))
    score = 1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.5 * x[:, 2] if signal else np.zeros(rows)
    if task == "regression":
        return x, pd.Series(score * 3 + rng.normal(0, 2.0, rows), name="y")
    probability = 1 / (1 + np.exp(-score)) if signal else np.full(rows, 0.4)
    return x, pd.Series(np.where(rng.random(rows) < probability, "yes", "no"), name="y")


def _models(scenario: str, draw: int) -> tuple[object, object, list[int] | None]:
    """(challenger, champion, the challenger's columns: None for all)."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.linear_model import LinearRegression, LogisticRegression

    if scenario == "retrained":
        forest = {"n_estimators": 15, "max_depth": 4}
        return (
            RandomForestClassifier(random_state=2 * draw, **forest),
            RandomForestClassifier(random_state=2 * draw + 1, **forest),
            None,
        )
    if scenario == "regression_retrained":
        forest = {"n_estimators": 15, "max_depth": 5}
        return (
            RandomForestRegressor(random_state=2 * draw, **forest),
            RandomForestRegressor(random_state=2 * draw + 1, **forest),
            None,
        )
    if scenario == "worse":
        return LogisticRegression(), LogisticRegression(), [2]
    if scenario.startswith("regression"):
        return LinearRegression(), LinearRegression(), None
    return LogisticRegression(), LogisticRegression(), None


def _seen(x: np.ndarray, columns: list[int] | None) -> np.ndarray:
    return x if columns is None else x[:, columns]


def simulate(scenario: str, draw: int) -> dict:
    from gate_comparison import baseline_outputs, compare, model_outputs, naive_baseline

    task = "regression" if scenario.startswith("regression") else "classification"
    metric = "r2" if task == "regression" else "roc_auc"
    rng = np.random.default_rng(10_000 + draw)
    signal = not scenario.endswith("no_signal")
    x, y = _draw(rng, TRAIN_ROWS, task, signal)
    x_test, y_test = _draw(rng, TEST_ROWS, task, signal)
    challenger, champion, columns = _models(scenario, draw)
    champion.fit(x, y)
    challenger = champion if scenario == "same" else challenger.fit(_seen(x, columns), y)
    classes = list(getattr(champion, "classes_", []))
    metadata = {"task": task, "classes": classes, "baseline": naive_baseline(task, y)}
    models = {
        "challenger": model_outputs(task, challenger, _seen(x_test, columns), y_test, classes),
        "champion": model_outputs(task, champion, x_test, y_test, classes),
    }
    models["baseline"], _ = baseline_outputs(task, metadata, y_test)
    defined = {name: {metric} for name in models}
    figures = compare(task, models, defined, seed=draw)
    return {"metric": metric, "figures": figures["metrics"][metric], "rows": figures["rows"]}


if __name__ == "__main__":
    sys.path.insert(0, sys.argv[1])
    for spec in sys.argv[2:]:
        scenario, count = spec.split("=")
        for index in range(int(count)):
            print(json.dumps({"scenario": scenario, **simulate(scenario, index)}), flush=True)
