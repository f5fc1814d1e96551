"""Model quality per variant from feedback: the A/B comparison of champion and challenger on live data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from slipstream.monitoring.traffic import Traffic, labels_as_text


@dataclass(frozen=True)
class Quality:
    """`metrics` is empty when fewer than the minimum rows have ground truth ("not enough data")."""

    variant: str
    versions: list[str]
    predicted: int  # rows this variant answered
    labelled: int  # of those, rows with ground truth
    metrics: dict[str, float]

    @property
    def enough(self) -> bool:
        return bool(self.metrics)


def quality_by_variant(traffic: Traffic, feedback: pd.DataFrame, *, task: str, min_feedback: int) -> list[Quality]:
    if not len(traffic):
        return []
    joined = traffic.meta.merge(feedback, on=["request_id", "row"], how="left")
    result = []
    for variant, rows in joined.groupby("variant", sort=True):
        labelled = rows.dropna(subset=["ground_truth"])
        enough = len(labelled) >= min_feedback
        metrics = _metrics(labelled["prediction"], labelled["ground_truth"], task) if enough else {}
        versions = sorted({str(v) for v in rows["model_version"]})
        result.append(Quality(str(variant), versions, len(rows), len(labelled), metrics))
    return result


def _metrics(predicted: pd.Series, truth: pd.Series, task: str) -> dict[str, float]:
    if task == "classification":
        return {"accuracy": float((labels_as_text(predicted) == labels_as_text(truth)).mean())}
    error = pd.to_numeric(predicted, errors="coerce") - pd.to_numeric(truth, errors="coerce")
    error = error.dropna()
    if not len(error):
        return {}
    return {"mae": float(error.abs().mean()), "rmse": float(np.sqrt((error**2).mean()))}
