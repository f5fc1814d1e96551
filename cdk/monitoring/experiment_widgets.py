"""The dashboard's experiment section: what the experiment Lambda publishes (lambdas/experiment/publish.py).

The effect with its always-valid interval narrowing over time (the minimum effect and zero marked), the
assignments per variant with the challenger's share against the configured weight, the outcomes with ground
truth per variant, the p-value against alpha, and the decision (a code: the annotations name each).
"""

from __future__ import annotations

import cdk_monitoring_constructs as mc
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from cdk.shared.lambda_function import emf_dimensions
from cdk.shared.settings import DeploySettings
from slipstream.experiment.result import DECISION_CODES

HOUR = Duration.hours(1)
VARIANTS = ("champion", "challenger")


def experiment_groups(settings: DeploySettings) -> list[mc.CustomMetricGroup]:
    model, experiment = settings.config.name, settings.config.experiment

    def metric(name: str, label: str, variant: str | None = None, statistic: str = "Maximum") -> cloudwatch.Metric:
        dimensions = emf_dimensions("experiment", Model=model, **({"Variant": variant} if variant else {}))
        return cloudwatch.Metric(
            namespace="Slipstream",
            metric_name=name,
            dimensions_map=dimensions,
            statistic=statistic,
            period=HOUR,
            label=label,
        )

    effect = experiment.minimum_effect or 0.0
    share = cloudwatch.MathExpression(
        expression="challenger / (champion + challenger)",
        using_metrics={v: metric("ExperimentAssigned", v, v) for v in VARIANTS},
        label="challenger share",
        period=HOUR,
    )
    weight = experiment.weight or 0.0
    return [
        mc.CustomMetricGroup(
            title=f"Effect on {experiment.metric} (challenger - champion), {1 - experiment.alpha:.0%} interval",
            metrics=[
                metric("ExperimentEffect", "effect"),
                metric("ExperimentEffectLower", "interval lower", statistic="Minimum"),
                metric("ExperimentEffectUpper", "interval upper"),
            ],
            horizontal_annotations=[
                cloudwatch.HorizontalAnnotation(value=0, label="no difference"),
                cloudwatch.HorizontalAnnotation(value=effect, label=f"+minimum effect {effect:g}"),
                cloudwatch.HorizontalAnnotation(value=-effect, label=f"-minimum effect {effect:g}"),
            ],
        ),
        mc.CustomMetricGroup(
            title="Requests assigned per variant",
            metrics=[metric("ExperimentAssigned", f"{v} assigned", v) for v in VARIANTS],
        ),
        mc.CustomMetricGroup(
            title="Challenger share of requests vs the weight",
            metrics=[share],
            horizontal_annotations=[cloudwatch.HorizontalAnnotation(value=weight, label=f"weight {weight:g}")],
        ),
        mc.CustomMetricGroup(
            title="Outcomes with ground truth per variant",
            metrics=[metric("ExperimentLabelled", f"{v} labelled", v) for v in VARIANTS],
        ),
        mc.CustomMetricGroup(
            title="Always-valid p-value",
            metrics=[metric("ExperimentPValue", "p-value", statistic="Minimum")],
            horizontal_annotations=[
                cloudwatch.HorizontalAnnotation(value=experiment.alpha, label=f"alpha {experiment.alpha:g}")
            ],
        ),
        mc.CustomMetricGroup(
            title="Decision",
            metrics=[metric("ExperimentDecision", "decision code")],
            horizontal_annotations=[
                cloudwatch.HorizontalAnnotation(value=code, label=f"{code}: {decision}")
                for decision, code in DECISION_CODES.items()
            ],
        ),
    ]
