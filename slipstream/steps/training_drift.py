"""Drift before training: new data against the data contract's baseline, with the verdict monitoring uses.

A shift inside the contract's ranges passes every contract rule, yet a model trained on it may be gated
against a test split of the same shifted data and become champion unnoticed. So ValidateData runs the
drift test of `slipstream monitor` and the drift Lambda (slipstream.monitoring.drift: chi-square on the
baseline's bins, PSI as the effect; figures.decide: Holm over the features at `[monitoring] drift_alpha`),
with `[data] max_training_drift` as the smallest PSI that counts. Above it, `[data] on_training_drift`
decides: "warn" trains and says so (run summary, model card), "refuse" stops the run before training.

Only numpy/pandas (the ValidateData Lambda has the AWS SDK for pandas layer).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from slipstream.config import Config
from slipstream.monitoring.drift import Drift, feature_drift
from slipstream.monitoring.figures import Settings, decide


def training_drift(df: pd.DataFrame, baseline: dict[str, Any] | None, config: Config) -> dict[str, Any]:
    """The report's `training_drift` entry: status "ok" | "drift" | "skipped", each feature's figures."""
    action = config.data.on_training_drift
    settings = Settings(
        alpha=config.monitoring.drift_alpha,
        min_psi=config.data.max_training_drift,
        min_samples=config.monitoring.min_samples,
    )
    summary: dict[str, Any] = {
        "action": action,
        "alpha": settings.alpha,
        "min_psi": settings.min_psi,
        "min_samples": settings.min_samples,
    }
    if baseline is None:
        why = "the data contract has no baseline (written before this check, or this run writes the contract)"
        return {**summary, "status": "skipped", "why": why, "drifted": [], "features": []}
    drifts = [
        feature_drift(name, stats, df[name], min_samples=settings.min_samples, row_count=baseline.get("row_count"))
        for name, stats in baseline["features"].items()
        if name in df.columns  # a missing column is the contract rules' finding, already reported
    ]
    decided = decide(drifts, settings)
    drifted = [d.name for d in decided if d.status == "drift"]
    return {
        **summary,
        "status": "drift" if drifted else "ok",
        "drifted": drifted,
        "features": [_figures(d) for d in decided],
    }


def drift_problems(report: dict[str, Any]) -> list[str]:
    """One line per drifted feature, named with its effect and its corrected p-value."""
    lines = []
    for feature in report["features"]:
        if feature["status"] == "drift":
            lines.append(
                f"{feature['name']}: distribution shifted from the contract's baseline "
                f"(PSI {feature['psi']:.3f} >= {report['min_psi']:g}, Holm-adjusted p {feature['p_adjusted']:.2g})"
            )
    return lines


def summary_line(report: dict[str, Any]) -> str:
    """What the run summary says: nothing when there is nothing to say."""
    if report["status"] != "drift":
        return ""
    verb = "refused" if report["action"] == "refuse" else "trained anyway (on_training_drift = warn)"
    return f"data drift before training in {', '.join(report['drifted'])}: {verb}"


def _figures(drift: Drift) -> dict[str, Any]:
    return {
        "name": drift.name,
        "status": drift.status,
        "psi": None if drift.psi is None else round(drift.psi, 6),
        "p_adjusted": drift.p_adjusted,
        "n": drift.n,
    }
