"""The CloudWatch metrics the drift Lambda publishes (lambdas/drift/publish.py): one place for their names,
so the alarms and the dashboard (cdk/monitoring) and tests read the same spelling. Pure constants.

Dimensions: every metric carries `Model`; drift metrics carry `ModelVersion` (dashboard) and `Variant`
(stable across deployments, what an alarm watches); `FeaturePsi` also `Feature`.
"""

from __future__ import annotations

NAMESPACE = "Slipstream"

CAPTURED_ROWS = "CapturedRows"  # per ModelVersion, always (also when there is not enough data)
FEATURE_PSI = "FeaturePsi"  # effect size per feature
MAX_FEATURE_PSI = "MaxFeaturePsi"  # largest FeaturePsi of the version
DRIFTED_FEATURES = "DriftedFeatures"  # features whose corrected test and effect floor say drift: alarm on >= 1
PREDICTION_PSI = "PredictionPsi"  # effect size of the prediction distribution
PREDICTION_DRIFTED = "PredictionDrifted"  # 1 when the prediction distribution drifted, else 0: alarm on >= 1
LABELLED_ROWS = "LabelledRows"  # per Variant: captured rows with ground truth
LIVE_PREFIX = "Live"  # Live<Metric> per Variant, e.g. LiveAccuracy, LiveRmse


def live_metric(metric: str) -> str:
    """`accuracy` -> `LiveAccuracy`: the name of a quality metric computed from feedback."""
    return f"{LIVE_PREFIX}{metric.capitalize()}"
