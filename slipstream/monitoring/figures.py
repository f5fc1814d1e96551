"""All monitoring figures for one window of traffic: drift per model version, quality per variant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from slipstream.monitoring.drift import Drift, feature_drift, prediction_drift
from slipstream.monitoring.quality import Quality, quality_by_variant
from slipstream.monitoring.traffic import Traffic


@dataclass(frozen=True)
class Settings:
    threshold: float = 0.2
    min_samples: int = 100
    min_feedback: int = 30


@dataclass(frozen=True)
class VersionDrift:
    version: str
    variants: list[str]
    rows: int
    features: list[Drift]
    prediction: Drift | None
    baseline: dict[str, Any] | None  # None: no baseline found for this version, nothing could be compared
    missing_features: list[str] = field(default_factory=list)  # in the baseline, absent from every request

    @property
    def drifted(self) -> list[str]:
        return [d.name for d in self.features if d.status == "drift"]

    @property
    def enough_data(self) -> bool:
        return self.baseline is not None and self.rows >= 1 and any(d.psi is not None for d in self.features)

    @property
    def max_psi(self) -> float | None:
        values = [d.psi for d in self.features if d.psi is not None]
        return max(values) if values else None


@dataclass(frozen=True)
class Figures:
    settings: Settings
    versions: list[VersionDrift]
    quality: list[Quality]
    rows: int
    skipped: int

    @property
    def drifted(self) -> dict[str, list[str]]:
        """version -> drifted feature names, only for versions with drift."""
        return {v.version: v.drifted for v in self.versions if v.drifted}


def compute_figures(
    traffic: Traffic,
    baselines: dict[str, dict[str, Any] | None],
    feedback: pd.DataFrame,
    *,
    task: str,
    settings: Settings,
) -> Figures:
    """`baselines`: model version -> its training baseline (baseline.json), None when it is not available."""
    versions = [version_drift(traffic.for_version(v), v, baselines.get(v), settings) for v in traffic.versions]
    quality = quality_by_variant(traffic, feedback, task=task, min_feedback=settings.min_feedback)
    return Figures(settings, versions, quality, len(traffic), traffic.skipped)


def version_drift(traffic: Traffic, version: str, baseline: dict[str, Any] | None, settings: Settings) -> VersionDrift:
    variants = sorted(traffic.meta["variant"].unique())
    if baseline is None:
        return VersionDrift(version, variants, len(traffic), [], None, None)
    features, missing = [], []
    for name, stats in baseline["features"].items():
        if name not in traffic.features.columns:
            missing.append(name)
            values = pd.Series([], dtype=float)
        else:
            values = traffic.features[name]
        features.append(
            feature_drift(name, stats, values, min_samples=settings.min_samples, threshold=settings.threshold)
        )
    prediction = prediction_drift(
        baseline["target"], traffic.meta["prediction"], min_samples=settings.min_samples, threshold=settings.threshold
    )
    return VersionDrift(version, variants, len(traffic), features, prediction, baseline, missing)
