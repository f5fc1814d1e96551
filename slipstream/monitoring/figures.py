"""All monitoring figures for one window of traffic: drift per model version, quality per variant."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from slipstream.config import MonitoringConfig
from slipstream.monitoring.drift import Drift, Status, feature_drift, prediction_drift
from slipstream.monitoring.quality import Quality, quality_by_variant
from slipstream.monitoring.stats import holm
from slipstream.monitoring.traffic import Traffic


@dataclass(frozen=True)
class Settings:
    """The drift verdict's knobs ([monitoring] in slipstream.toml: drift_alpha, drift_min_psi, min_samples)."""

    alpha: float = 0.05  # family-wise false-alarm rate per model version and window
    min_psi: float = 0.2  # smallest effect that counts as drift, however significant
    min_samples: int = 100
    min_feedback: int = 30


def settings_of(monitoring: MonitoringConfig) -> Settings:
    return Settings(monitoring.drift_alpha, monitoring.drift_min_psi, monitoring.min_samples, monitoring.min_feedback)


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
        """Features (not the prediction) whose corrected test says drift: the DriftedFeatures metric."""
        return [d.name for d in self.features if d.status == "drift"]

    @property
    def prediction_drifted(self) -> bool:
        return self.prediction is not None and self.prediction.status == "drift"

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
        """version -> what drifted (feature names, then "prediction"), only for versions with drift."""
        found = {v.version: v.drifted + (["prediction"] if v.prediction_drifted else []) for v in self.versions}
        return {version: names for version, names in found.items() if names}


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
    rows, floor = baseline.get("row_count"), settings.min_samples
    for name, stats in baseline["features"].items():
        if name not in traffic.features.columns:
            missing.append(name)
            values = pd.Series([], dtype=float)
        else:
            values = traffic.features[name]
        features.append(feature_drift(name, stats, values, min_samples=floor, row_count=rows))
    prediction = prediction_drift(baseline["target"], traffic.meta["prediction"], min_samples=floor, row_count=rows)
    *features, prediction = decide([*features, prediction], settings)
    return VersionDrift(version, variants, len(traffic), features, prediction, baseline, missing)


def decide(drifts: list[Drift], settings: Settings) -> list[Drift]:
    """Verdicts for one family of tests (a version's features and prediction): Holm-adjusted p <= alpha
    and PSI >= min_psi is drift. Distributions with not enough data take no part in the correction."""
    tested = [index for index, drift in enumerate(drifts) if drift.test is not None]
    adjusted = holm([drifts[index].test.p_value for index in tested])  # type: ignore[union-attr]
    decided = list(drifts)
    for index, p in zip(tested, adjusted, strict=True):
        effect = drifts[index].psi or 0.0
        status: Status = "drift" if p <= settings.alpha and effect >= settings.min_psi else "ok"
        decided[index] = replace(drifts[index], status=status, p_adjusted=p)
    return decided


def verdicts(version: VersionDrift) -> list[dict[str, Any]]:
    """Per distribution (prediction first, then features by effect): test, statistic, p-values, effect, verdict.

    JSON-able: the drift Lambda logs it in its summary; `slipstream monitor` prints the same rows.
    """
    ordered = sorted(version.features, key=lambda d: -1.0 if d.psi is None else d.psi, reverse=True)
    return [_verdict(drift) for drift in [*([version.prediction] if version.prediction else []), *ordered]]


def _verdict(drift: Drift) -> dict[str, Any]:
    test = drift.test
    return {
        "name": drift.name,
        "kind": drift.kind,
        "rows": drift.n,
        "test": test.test if test else None,
        "statistic": test.statistic if test else None,
        "dof": test.dof if test else None,
        "p_value": test.p_value if test else None,
        "p_adjusted": drift.p_adjusted,
        "psi": drift.psi,
        "status": drift.status,
        "unseen": drift.unseen[:10],
    }
