"""Every Slipstream alarm, each sending ALARM and OK to the notifications topic (and so to Slack).

Descriptions end with `runbook: <anchor>`: the notifier links that docs/runbook.md section (anchors as in
slipstream/monitoring/alarm.SECTIONS); with `[monitoring] runbook_url` set, the full link follows.
Missing data never alarms: no traffic, no pipeline run and "not enough data" for drift are all normal.
Thresholds come from `[monitoring.alarms]` (slipstream/alarm_config.py); the drift alarms watch the verdicts the
drift Lambda publishes under `[monitoring] drift_alpha` / `drift_min_psi`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk.shared.alarm_names import alarm_name, drift_slug, has_quality_alarm, prediction_drift_slug, quality_slug
from cdk.shared.lambda_function import emf_dimensions
from cdk.shared.settings import DeploySettings
from slipstream.alarm_config import LIVE_METRICS
from slipstream.monitoring import metric_names as names

FIVE_MINUTES, HOUR = Duration.minutes(5), Duration.hours(1)
GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
LT = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD


@dataclass(frozen=True)
class Watched:
    """What the alarms watch, as metrics built by the resources' owners."""

    api_5xx: cloudwatch.IMetric  # 5XXError, Average: a rate
    api_latency_p99: cloudwatch.IMetric
    predict_errors: cloudwatch.IMetric
    predict_throttles: cloudwatch.IMetric
    issued_failed: cloudwatch.IMetric  # request ids /predict issued but could not record: their feedback is refused
    pipeline_failed: cloudwatch.IMetric
    pipeline_timed_out: cloudwatch.IMetric
    dead_letters: cloudwatch.IMetric
    endpoints: dict[str, str]  # variant -> endpoint name
    drift: bool  # the drift Lambda runs (capture is on)
    # Capture (None without it): records the predict Lambda dropped or failed to write, the stream's deliveries.
    captures_dropped: cloudwatch.IMetric | None = None
    captures_failed: cloudwatch.IMetric | None = None
    capture_delivery: cloudwatch.IMetric | None = None  # DeliveryToS3.Success, Average: a share
    capture_conversion: cloudwatch.IMetric | None = None  # FailedConversion.Records, Sum
    function_errors: dict[str, cloudwatch.IMetric] = field(default_factory=dict)  # "drift" | "experiment" -> Errors


class ServiceAlarms(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploySettings, topic: sns.ITopic, watched: Watched
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings, self.action = settings, actions.SnsAction(topic)
        self.limits = settings.config.monitoring.alarms
        self.alarms: list[cloudwatch.Alarm] = []
        self._service(watched)
        for variant, endpoint in watched.endpoints.items():
            self._endpoint(variant, endpoint)
        self._pipeline(watched)
        if watched.drift:
            for variant in watched.endpoints:
                self._drift(variant)
        self._capture(watched)
        for function, errors in watched.function_errors.items():
            self._add(
                f"{function}-errors",
                f"{function.capitalize()} Lambda failed",
                f"{function}-lambda-errors",
                errors,
                self.limits.function_errors,
                GTE,
            )
        self._add(
            "notifier-dlq",
            "Slack notifier could not deliver messages",
            "notifier-dlq-not-empty",
            watched.dead_letters,
            1,
            GTE,
        )

    def _service(self, w: Watched) -> None:
        limits = self.limits
        self._add(
            "api-5xx",
            f"API answered 5XX to over {limits.api_5xx_rate:.0%} of requests",
            "api-5xx",
            w.api_5xx,
            limits.api_5xx_rate,
            GT,
        )
        self._add(
            "api-p99-latency",
            f"API p99 latency above {limits.api_p99_latency_ms:g} ms for {limits.slow_periods * 5} minutes",
            "api-p99-latency",
            w.api_latency_p99,
            limits.api_p99_latency_ms,
            GT,
            periods=limits.slow_periods,
        )
        self._add("predict-errors", "Predict Lambda failed", "predict-lambda-errors", w.predict_errors, 1, GTE)
        self._add(
            "predict-throttles", "Predict Lambda throttled", "predict-lambda-throttles", w.predict_throttles, 1, GTE
        )
        self._add(
            "issued-failed",
            "Predict Lambda could not record issued request ids (their feedback will be refused)",
            "issued-failed",
            w.issued_failed,
            limits.issued_failed,
            GTE,
        )

    def _pipeline(self, w: Watched) -> None:
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

        runbook, limits = "endpoint-invocation-errors", self.limits
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
            f"{variant} model p99 latency above {limits.model_p99_latency_ms:g} ms for {limits.slow_periods * 5} "
            "minutes",
            "endpoint-model-latency",
            metric("ModelLatency", "p99"),
            limits.model_p99_latency_ms * 1000,  # SageMaker reports ModelLatency in microseconds
            GT,
            periods=limits.slow_periods,
        )

    def _drift_metric(self, name: str, variant: str, statistic: str) -> cloudwatch.Metric:
        """A per-variant figure of the drift Lambda (lambdas/drift/publish.py; namespace lambdas/common/emf)."""
        return cloudwatch.Metric(
            namespace=names.NAMESPACE,
            metric_name=name,
            dimensions_map=emf_dimensions("drift", Model=self.settings.config.name, Variant=variant),
            statistic=statistic,
            period=HOUR,
        )

    def _drift(self, variant: str) -> None:
        monitoring = self.settings.config.monitoring
        # The drift Lambda's verdict, not a raw PSI: a feature counts when its multiplicity-corrected test and
        # the effect floor both say drift (slipstream/monitoring/drift.py), so healthy traffic does not page.
        self._add(
            drift_slug(variant),
            f"Feature drift on the {variant} (a corrected test at family-wise alpha {monitoring.drift_alpha:g} "
            f"and PSI at least {monitoring.drift_min_psi:g})",
            "drift-above-threshold",
            self._drift_metric(names.DRIFTED_FEATURES, variant, "Maximum"),
            1,
            GTE,
        )
        runs = self.limits.prediction_drift_runs
        self._add(
            prediction_drift_slug(variant),
            f"Prediction drift on the {variant}" + (f" in {runs} consecutive drift runs" if runs > 1 else ""),
            "prediction-drift",
            # 1 when the prediction distribution drifted, published beside DriftedFeatures with its dimensions.
            self._drift_metric(names.PREDICTION_DRIFTED, variant, "Maximum"),
            1,
            GTE,
            periods=runs,
        )
        if has_quality_alarm(self.settings):
            self._quality(variant)

    def _quality(self, variant: str) -> None:
        metric, floor = self.limits.quality_metric or "", self.limits.quality_floor
        assert floor is not None, "has_quality_alarm checked the floor"
        higher_is_better = LIVE_METRICS[self.settings.config.data.task][metric]
        worse = "below" if higher_is_better else "above"
        self._add(
            quality_slug(variant),
            f"Live {metric} of the {variant} (from feedback) {worse} {floor:g}",
            "live-quality-below-floor",
            self._drift_metric(names.live_metric(metric), variant, "Average"),
            floor,
            LT if higher_is_better else GT,
        )

    def _capture(self, w: Watched) -> None:
        lost = self.limits.lost_captures
        for kind, metric in (("dropped", w.captures_dropped), ("failed", w.captures_failed)):
            if metric is not None:
                self._add(
                    f"captures-{kind}", f"Predict Lambda {kind} captured records", "captures-lost", metric, lost, GTE
                )
        if w.capture_delivery is not None:
            share = self.limits.capture_delivery_success
            self._add(
                "capture-delivery",
                f"Capture stream delivered under {share:.0%} of its records to S3",
                "capture-delivery-failed",
                w.capture_delivery,
                share,
                LT,
            )
        if w.capture_conversion is not None:
            self._add(
                "capture-conversion",
                "Capture stream could not convert rows to Parquet by the captures table",
                "capture-conversion-failed",
                w.capture_conversion,
                lost,
                GTE,
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
            alarm_name=alarm_name(self.settings, slug),
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
