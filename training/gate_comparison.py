"""The quality gate's figures: the challenger against a naive baseline and against the champion, paired on the
same held-out rows, for every metric (the gate picks its own; slipstream/documents/evaluation.py reads this).

Paired bootstrap: each resample draws held-out rows with replacement and scores every model on the *same*
draw, so the difference's interval reflects only how the models disagree, not how hard the rows are. Seeded
(the model's seed), RESAMPLES resamples, CONFIDENCE percentile interval. Cost is resamples x rows: above
MAX_RESAMPLED_ROWS rows the resamples come from a seeded subset of that many rows and the interval's offsets
from the subset's difference are scaled by sqrt(subset / rows) (the variance of a mean-like metric falls as
1/rows), around the difference on all rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from eval_metrics import predictions
from paired_metrics import METRIC_FUNCTIONS, Outputs

RESAMPLES = 2000
CONFIDENCE = 0.95
MAX_RESAMPLED_ROWS = 10_000
CHUNK_CELLS = 2_000_000  # resamples x rows held in memory at once


def class_index(labels: Any, classes: list[Any]) -> np.ndarray:
    """Labels as indices into `classes`; a label outside them is -1 (never predicted right)."""
    position = {label: i for i, label in enumerate(classes)}
    return np.array([position.get(label, -1) for label in labels], dtype=int)


def model_outputs(task: str, pipeline: Any, features: pd.DataFrame, y: pd.Series, classes: list[Any]) -> Outputs:
    """The model's per-row output, in the challenger's class order (`classes`) for classification."""
    if task == "regression":
        return Outputs(y.to_numpy(dtype=float), np.asarray(pipeline.predict(features), dtype=float))
    said, raw = predictions(pipeline, features)
    proba = None
    if raw is not None:
        raw = np.asarray(raw, dtype=float)
        proba = np.zeros((len(y), len(classes)))
        for column, label in enumerate(list(pipeline.classes_)):
            if label in classes:
                proba[:, classes.index(label)] = raw[:, column]
    predicted = class_index(said, classes)
    return Outputs(class_index(y, classes), predicted, proba, len(classes))


def baseline_outputs(task: str, metadata: dict[str, Any], y: pd.Series) -> tuple[Outputs, dict[str, Any]]:
    """The naive model (the training mean / the training class priors, majority class as the label) and what
    it is. From the training data when the model's metadata records it, else from the held-out rows."""
    recorded = metadata.get("baseline")
    source = "training data"
    note = None
    if not isinstance(recorded, dict):
        source = "held-out rows"
        note = "the model's metadata records no training baseline (trained before it was recorded)"
        recorded = naive_baseline(task, y)
    n = len(y)
    if task == "regression":
        mean = float(recorded["mean"])
        outputs = Outputs(y.to_numpy(dtype=float), np.full(n, mean))
        return outputs, {"kind": "mean", "value": mean, "source": source, "note": note}
    classes = list(metadata["classes"])
    priors = np.array([float(recorded["priors"].get(str(c), 0.0)) for c in classes])
    proba = np.tile(priors, (n, 1))
    predicted = np.full(n, int(np.argmax(priors)))
    outputs = Outputs(class_index(y, classes), predicted, proba, len(classes))
    majority = classes[int(np.argmax(priors))]
    return outputs, {"kind": "majority class", "value": majority, "source": source, "note": note}


def naive_baseline(task: str, y: pd.Series) -> dict[str, Any]:
    """What metadata.json records at training time: the target's mean, or each class's share (JSON keys)."""
    if task == "regression":
        return {"mean": float(y.mean())}
    shares = y.value_counts(normalize=True, sort=False)
    return {"priors": {str(label): float(share) for label, share in shares.items()}}


def _weights(rng: np.random.Generator, rows: int, count: int) -> np.ndarray:
    """`count` bootstrap resamples of `rows` rows, as draw counts per row."""
    drawn = rng.integers(0, rows, size=(count, rows)) + (np.arange(count) * rows)[:, None]
    return np.bincount(drawn.ravel(), minlength=count * rows).reshape(count, rows).astype(float)


def _resampled(
    models: dict[str, Outputs], names: list[str], task: str, rng: np.random.Generator, resamples: int
) -> dict[str, dict[str, np.ndarray]]:
    rows = len(next(iter(models.values())).truth)
    chunk = max(1, CHUNK_CELLS // rows)
    values: dict[str, dict[str, list[np.ndarray]]] = {m: {n: [] for n in names} for m in models}
    for start in range(0, resamples, chunk):
        weights = _weights(rng, rows, min(chunk, resamples - start))
        for model, outputs in models.items():
            for name in names:
                values[model][name].append(METRIC_FUNCTIONS[task][name](outputs, weights))
    return {m: {n: np.concatenate(v) for n, v in by_name.items()} for m, by_name in values.items()}


def _point(task: str, name: str, outputs: Outputs) -> float:
    return float(METRIC_FUNCTIONS[task][name](outputs, np.ones((1, len(outputs.truth))))[0])


def _interval(full: float, subset: float, draws: np.ndarray, scale: float) -> dict[str, Any] | None:
    finite = draws[np.isfinite(draws)]
    if finite.size < 0.9 * draws.size:  # the metric is undefined on too many resamples to trust the tails
        return None
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(finite, [tail, 1 - tail])
    return {
        "difference": full,
        "low": full + scale * (float(low) - subset),
        "high": full + scale * (float(high) - subset),
        "resamples": int(finite.size),
    }


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


def _subset(models: dict[str, Outputs], rng: np.random.Generator) -> tuple[dict[str, Outputs], float]:
    rows = len(models["challenger"].truth)
    if rows <= MAX_RESAMPLED_ROWS:
        return models, 1.0
    chosen = np.sort(rng.choice(rows, MAX_RESAMPLED_ROWS, replace=False))
    return {m: outputs.rows(chosen) for m, outputs in models.items()}, float(np.sqrt(MAX_RESAMPLED_ROWS / rows))


def compare(
    task: str, models: dict[str, Outputs], defined: dict[str, set[str]], seed: int, resamples: int = RESAMPLES
) -> dict[str, Any]:
    """`models`: "challenger", "baseline" and maybe "champion"; `defined[model]`: the metrics eval_metrics could
    compute for it. Every challenger metric gets its value per model and the intervals of the differences."""
    rng = np.random.default_rng(seed)
    subset, scale = _subset(models, rng)
    names = sorted(defined["challenger"])
    draws = _resampled(subset, names, task, rng, resamples)
    metrics: dict[str, Any] = {}
    for name in names:
        full = {m: _point(task, name, outputs) for m, outputs in models.items()}
        part = {m: _point(task, name, outputs) for m, outputs in subset.items()}
        entry: dict[str, Any] = {m: _finite(full[m]) for m in ("challenger", "baseline")}
        entry["champion"] = _finite(full["champion"]) if "champion" in models else None
        for other in ("baseline", "champion"):
            usable = other in models and name in defined.get(other, set()) and entry[other] is not None
            entry[f"vs_{other}"] = (
                _interval(
                    full["challenger"] - full[other],
                    part["challenger"] - part[other],
                    draws["challenger"][name] - draws[other][name],
                    scale,
                )
                if usable and entry["challenger"] is not None
                else None
            )
        metrics[name] = entry
    return {
        "method": "paired bootstrap" if scale == 1.0 else "paired bootstrap on a subset, rescaled",
        "resamples": resamples,
        "confidence": CONFIDENCE,
        "seed": seed,
        "rows": len(models["challenger"].truth),
        "rows_resampled": len(subset["challenger"].truth),
        "metrics": metrics,
    }
