"""The canary's own alarms, on the challenger endpoint the canary runs on, with `[canary]`'s thresholds.

Separate from the service alarms (cdk/monitoring/alarms.py): those page a person on fixed ceilings; these only
decide the bake (the CanaryCheck Lambda reads their state; the state machine notifies once, with the reason).
Each evaluates one `check_minutes` period, so a check after each Wait sees the period just baked.
Missing data is not breaching: no traffic, and no feedback yet, are normal during a bake.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from cdk.shared.lambda_function import emf_dimensions
from cdk.shared.settings import DeploySettings

GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
HOUR = Duration.hours(1)  # the drift Lambda's default schedule, which publishes the live quality metrics
# Per-variant live metric the drift Lambda publishes (lambdas/drift/publish.py: Live<Metric>, Variant=...), and
# whether higher is better.
LIVE_METRIC = {"classification": ("LiveAccuracy", True), "regression": ("LiveMae", False)}


class CanaryAlarms(Construct):
    """`alarms`: watched kind (errors, latency, quality) -> alarm, only the kinds `[canary] alarms` lists."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploySettings, endpoint: str) -> None:
        super().__init__(scope, construct_id)
        self.settings, self.canary = settings, settings.config.canary
        period = Duration.minutes(self.canary.check_minutes)
        dims = {"EndpointName": endpoint, "VariantName": "AllTraffic"}  # the pipeline's only production variant

        def endpoint_metric(name: str, statistic: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/SageMaker", metric_name=name, dimensions_map=dims, statistic=statistic, period=period
            )

        enough = f"invocations >= {self.canary.min_requests}"
        builders = {
            "errors": lambda: self._alarm(
                "errors",
                f"canary error rate above {self.canary.max_error_rate:g}",
                cloudwatch.MathExpression(
                    expression=f"IF({enough}, (server + model) / invocations, 0)",
                    using_metrics={
                        "server": endpoint_metric("Invocation5XXErrors", "Sum"),
                        "model": endpoint_metric("InvocationModelErrors", "Sum"),
                        "invocations": endpoint_metric("Invocations", "Sum"),
                    },
                    period=period,
                    label="canary error rate",
                ),
                self.canary.max_error_rate,
            ),
            "latency": lambda: self._alarm(
                "latency",
                f"canary p95 model latency above {self.canary.max_p95_latency_ms:g} ms",
                cloudwatch.MathExpression(
                    expression=f"IF({enough}, latency, 0)",
                    using_metrics={
                        "latency": endpoint_metric("ModelLatency", "p95"),
                        "invocations": endpoint_metric("Invocations", "Sum"),
                    },
                    period=period,
                    label="canary p95 model latency (microseconds)",
                ),
                self.canary.max_p95_latency_ms * 1000,  # SageMaker reports ModelLatency in microseconds
            ),
            "quality": self._quality,
        }
        self.alarms = {kind: builders[kind]() for kind in self.canary.alarms}

    def _quality(self) -> cloudwatch.Alarm:
        name, higher_is_better = LIVE_METRIC[self.settings.config.data.task]

        def live(variant: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="Slipstream",  # lambdas/common/emf.NAMESPACE
                metric_name=name,
                dimensions_map=emf_dimensions("drift", Model=self.settings.config.name, Variant=variant),
                statistic="Average",
                period=HOUR,
            )

        drop = "champion - canary" if higher_is_better else "canary - champion"
        return self._alarm(
            "quality",
            f"canary live {name.removeprefix('Live').lower()} worse than the champion's by over "
            f"{self.canary.max_quality_drop:g}",
            cloudwatch.MathExpression(
                expression=drop,
                using_metrics={"champion": live("champion"), "canary": live("challenger")},
                period=HOUR,
                label=f"{name}: how much worse the canary is",
            ),
            self.canary.max_quality_drop,
        )

    def _alarm(self, kind: str, what: str, metric: cloudwatch.IMetric, threshold: float) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            kind,
            alarm_name=f"{self.settings.prefix}-canary-{kind}",
            alarm_description=f"{what}: rolls the canary back during its bake. runbook: canary-rolled-back",
            metric=metric,
            threshold=threshold,
            comparison_operator=GT,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
