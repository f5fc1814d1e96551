"""The CloudWatch metrics the drift Lambda publishes (namespace `Slipstream`, EMF via powertools; names in
slipstream/monitoring/metric_names.py).

Per model version (for the dashboard), and per variant (stable dimensions an alarm can watch across
deployments). Versions with too little traffic publish only CapturedRows: the drift alarm must treat
missing data as not breaching, so "not enough data" never alarms.
"""

from __future__ import annotations

from collections.abc import Callable

from slipstream.monitoring import metric_names as names
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
        put(names.CAPTURED_ROWS, "Count", version.rows, ModelVersion=version.version)
        if version.max_psi is None:
            continue
        for drift in version.features:
            if drift.psi is not None:
                put(names.FEATURE_PSI, "None", drift.psi, ModelVersion=version.version, Feature=drift.name)
        prediction = version.prediction if version.prediction and version.prediction.psi is not None else None
        for dimension in [{"ModelVersion": version.version}, *({"Variant": v} for v in version.variants)]:
            put(names.MAX_FEATURE_PSI, "None", version.max_psi, **dimension)
            put(names.DRIFTED_FEATURES, "Count", len(version.drifted), **dimension)
            if prediction is not None:
                put(names.PREDICTION_PSI, "None", prediction.psi or 0.0, **dimension)
                put(names.PREDICTION_DRIFTED, "Count", int(version.prediction_drifted), **dimension)
    for quality in figures.quality:
        put(names.LABELLED_ROWS, "Count", quality.labelled, Variant=quality.variant)
        for metric, value in quality.metrics.items():
            put(names.live_metric(metric), "None", value, Variant=quality.variant)
    return count
