"""Every Slipstream alarm, each sending ALARM and OK to the notifications topic (and so to Slack).

Descriptions end with `runbook: <anchor>`: the notifier links that docs/runbook.md section (anchors as in
slipstream/monitoring/alarm.SECTIONS); with `[monitoring] runbook_url` set, the full link follows.
Missing data never alarms: no traffic, no pipeline run and "not enough data" for drift are all normal.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk.shared.lambda_function import emf_dimensions
from cdk.shared.settings import DeploySettings

FIVE_MINUTES, HOUR = Duration.minutes(5), Duration.hours(1)
GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
API_5XX_RATE = 0.05  # the Average of API Gateway's 5XXError is the share of requests answered 5XX
# Thresholds: latency allows a serverless cold start (seconds) but not a sustained slowdown.
API_P99_MS = 8_000
MODEL_P99_MICROSECONDS = 5_000_000  # SageMaker reports ModelLatency in microseconds
SLOW_PERIODS = 3


@dataclass(frozen=True)
class Watched:
    """What the alarms watch, as metrics built by the resources' owners."""

    api_5xx: cloudwatch.IMetric  # 5XXError, Average: a rate
    api_latency_p99: cloudwatch.IMetric
    predict_errors: cloudwatch.IMetric
    predict_throttles: cloudwatch.IMetric
    pipeline_failed: cloudwatch.IMetric
    pipeline_timed_out: cloudwatch.IMetric
    dead_letters: cloudwatch.IMetric
    endpoints: dict[str, str]  # variant -> endpoint name
    drift: bool  # the drift Lambda runs (capture is on)


class ServiceAlarms(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploySettings, topic: sns.ITopic, watched: Watched
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings, self.action = settings, actions.SnsAction(topic)
        self.alarms: list[cloudwatch.Alarm] = []
        w = watched
        self._add(
            "api-5xx",
            f"API answered 5XX to over {API_5XX_RATE:.0%} of requests",
            "api-5xx",
            w.api_5xx,
            API_5XX_RATE,
            GT,
        )
        self._add(
            "api-p99-latency",
            f"API p99 latency above {API_P99_MS} ms for {SLOW_PERIODS * 5} minutes",
            "api-p99-latency",
            w.api_latency_p99,
            API_P99_MS,
            GT,
            periods=SLOW_PERIODS,
        )
        self._add("predict-errors", "Predict Lambda failed", "predict-lambda-errors", w.predict_errors, 1, GTE)
        self._add(
            "predict-throttles", "Predict Lambda throttled", "predict-lambda-throttles", w.predict_throttles, 1, GTE
        )
        for variant, endpoint in w.endpoints.items():
            self._endpoint(variant, endpoint)
        self._add(
            "pipeline-failed",
            "Training pipeline execution failed",
            "pipeline-failed-executions",
            w.pipeline_failed,
            1,
            GTE,
        )
        self._add(
            "pipeline-timed-out",
            "Training pipeline execution timed out",
            "pipeline-timed-out-executions",
            w.pipeline_timed_out,
            1,
            GTE,
        )
        if w.drift:
            for variant in w.endpoints:
                self._drift(variant)
        self._add(
            "notifier-dlq",
            "Slack notifier could not deliver messages",
            "notifier-dlq-not-empty",
            w.dead_letters,
            1,
            GTE,
        )

    def _endpoint(self, variant: str, endpoint: str) -> None:
        dims = {"EndpointName": endpoint, "VariantName": "AllTraffic"}  # the pipeline's only production variant

        def metric(name: str, statistic: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/SageMaker",
                metric_name=name,
                dimensions_map=dims,
                statistic=statistic,
                period=FIVE_MINUTES,
            )

        runbook = "endpoint-invocation-errors"
        self._add(
            f"{variant}-endpoint-5xx",
            f"{variant} endpoint 5XX errors",
            runbook,
            metric("Invocation5XXErrors", "Sum"),
            1,
            GTE,
        )
        self._add(
            f"{variant}-endpoint-model-errors",
            f"{variant} model errors",
            runbook,
            metric("InvocationModelErrors", "Sum"),
            1,
            GTE,
        )
        self._add(
            f"{variant}-model-latency",
            f"{variant} model p99 latency above {MODEL_P99_MICROSECONDS // 1000} ms for {SLOW_PERIODS * 5} minutes",
            "endpoint-model-latency",
            metric("ModelLatency", "p99"),
            MODEL_P99_MICROSECONDS,
            GT,
            periods=SLOW_PERIODS,
        )

    def _drift(self, variant: str) -> None:
        monitoring = self.settings.config.monitoring
        metric = cloudwatch.Metric(
            namespace="Slipstream",  # lambdas/common/emf.NAMESPACE; dimensions from lambdas/drift/publish.py
            metric_name="MaxFeaturePsi",
            dimensions_map=emf_dimensions("drift", Model=self.settings.config.name, Variant=variant),
            statistic="Maximum",
            period=HOUR,
        )
        self._add(
            f"{variant}-drift",
            f"Feature drift above PSI {monitoring.psi_threshold:g} on the {variant}",
            "drift-above-threshold",
            metric,
            monitoring.psi_threshold,
            GT,
        )

    def _add(
        self,
        slug: str,
        what: str,
        runbook: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        operator: cloudwatch.ComparisonOperator,
        *,
        periods: int = 1,
    ) -> None:
        link = self.settings.config.monitoring.runbook_url
        description = f"{what}. runbook: {runbook}" + (f" ({link}#{runbook})" if link else "")
        alarm = cloudwatch.Alarm(
            self,
            slug,
            alarm_name=f"{self.settings.prefix}-{slug}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=operator,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self.action)
        alarm.add_ok_action(self.action)
        self.alarms.append(alarm)
