"""The CloudWatch metrics the drift Lambda publishes (namespace `Slipstream`, EMF via powertools).

Per model version (for the dashboard), and per variant (stable dimensions an alarm can watch across
deployments). Versions with too little traffic publish only CapturedRows: the drift alarm must treat
missing data as not breaching, so "not enough data" never alarms.
"""

from __future__ import annotations

from collections.abc import Callable

from slipstream.monitoring.figures import Figures

Emit = Callable[[str, str, float, dict[str, str]], None]  # name, unit ("None"/"Count"), value, dimensions


def publish(figures: Figures, model: str, emit: Emit) -> int:
    """Emit every figure; returns how many data points were emitted."""
    count = 0

    def put(name: str, unit: str, value: float, **dimensions: str) -> None:
        nonlocal count
        emit(name, unit, value, {"Model": model, **dimensions})
        count += 1

    for version in figures.versions:
        put("CapturedRows", "Count", version.rows, ModelVersion=version.version)
        if version.max_psi is None:
            continue
        for drift in version.features:
            if drift.psi is not None:
                put("FeaturePsi", "None", drift.psi, ModelVersion=version.version, Feature=drift.name)
        prediction = version.prediction.psi if version.prediction else None
        for dimension in [{"ModelVersion": version.version}, *({"Variant": v} for v in version.variants)]:
            put("MaxFeaturePsi", "None", version.max_psi, **dimension)
            put("DriftedFeatures", "Count", len(version.drifted), **dimension)
            if prediction is not None:
                put("PredictionPsi", "None", prediction, **dimension)
    for quality in figures.quality:
        put("LabelledRows", "Count", quality.labelled, Variant=quality.variant)
        for metric, value in quality.metrics.items():
            put(f"Live{metric.capitalize()}", "None", value, Variant=quality.variant)
    return count
