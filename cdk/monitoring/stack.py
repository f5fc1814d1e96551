"""Monitoring: the Slack notifier on the notifications topic, the scheduled drift Lambda, the alarms and the
dashboard. Everything it watches lives in the pipeline and serving stacks."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.monitoring.alarms import ServiceAlarms, Watched
from cdk.monitoring.dashboard import ServiceDashboard, dashboard_url
from cdk.monitoring.drift_function import DriftFunction
from cdk.monitoring.experiment_function import ExperimentFunction
from cdk.monitoring.slack_notifier import SlackNotifier
from cdk.serving.stack import ServingStack
from cdk.shared.settings import DeploySettings
from cdk.shared.storage_stack import StorageExports


def capture_stream_metric(stream_name: str, name: str, statistic: str) -> cloudwatch.Metric:
    """A 5-minute figure of the capture stream: `DeliveryToS3.Success` (Average: the share of S3 puts that
    succeeded) or `FailedConversion.Records` (Sum: rows the Glue table could not take, left under captures/errors/)."""
    return cloudwatch.Metric(
        namespace="AWS/Firehose",
        metric_name=name,
        dimensions_map={"DeliveryStreamName": stream_name},
        statistic=statistic,
        period=Duration.minutes(5),
    )


class MonitoringStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        storage: StorageExports,
        topic: sns.ITopic,
        state_machine: sfn.IStateMachine,
        serving: ServingStack,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        _, artifact_bucket, _ = storage.import_into(self)
        self.notifier = SlackNotifier(
            self, "SlackNotifier", settings=settings, topic=topic, dashboard_url=dashboard_url(settings.prefix)
        )
        functions = {"Predict Lambda": serving.predict.function, "Slack notifier": self.notifier.fn.function}
        self.drift = None
        if serving.capture is not None:  # no capture, nothing to compare
            self.drift = DriftFunction(
                self,
                "Drift",
                settings=settings,
                artifact_bucket=artifact_bucket,
                capture_prefix=serving.capture.data_prefix,
                feedback=serving.feedback,
                artifact_ref=storage.name("artifact-bucket-arn"),
            )
            functions["Drift Lambda"] = self.drift.fn.function
        self.experiment = None
        if serving.capture is not None and settings.config.gate.promote == "challenger":  # needs outcomes
            self.experiment = ExperimentFunction(
                self,
                "Experiment",
                settings=settings,
                artifact_bucket=artifact_bucket,
                capture_prefix=serving.capture.data_prefix,
                feedback=serving.feedback,
                topic=topic,
                artifact_ref=storage.name("artifact-bucket-arn"),
            )
            functions["Experiment Lambda"] = self.experiment.fn.function
            CfnOutput(self, "ExperimentFunctionName", value=self.experiment.fn.function.function_name)
        endpoints = {"champion": settings.endpoint_name}
        if settings.challenger_endpoint_name:
            endpoints["challenger"] = settings.challenger_endpoint_name
        api, predict = serving.api.api, serving.predict.function
        capture = serving.capture
        errors = {"drift": self.drift, "experiment": self.experiment}
        self.alarms = ServiceAlarms(
            self,
            "Alarms",
            settings=settings,
            topic=topic,
            watched=Watched(
                api_5xx=api.metric_server_error(statistic="Average"),
                api_latency_p99=api.metric_latency(statistic="p99"),
                predict_errors=predict.metric_errors(statistic="Sum"),
                predict_throttles=predict.metric_throttles(statistic="Sum"),
                issued_failed=serving.predict.metric_issued_failed(),
                pipeline_failed=state_machine.metric_failed(statistic="Sum"),
                pipeline_timed_out=state_machine.metric_timed_out(statistic="Sum"),
                dead_letters=self.notifier.dead_letters.metric_approximate_number_of_messages_visible(
                    statistic="Maximum"
                ),
                endpoints=endpoints,
                drift=self.drift is not None,
                captures_dropped=serving.predict.metric_captures("dropped") if capture else None,
                captures_failed=serving.predict.metric_captures("failed") if capture else None,
                capture_delivery=(
                    capture_stream_metric(capture.stream_name, "DeliveryToS3.Success", "Average") if capture else None
                ),
                capture_conversion=(
                    capture_stream_metric(capture.stream_name, "FailedConversion.Records", "Sum") if capture else None
                ),
                function_errors={k: f.fn.function.metric_errors(statistic="Sum") for k, f in errors.items() if f},
            ),
        )
        self.dashboard = ServiceDashboard(
            self,
            "Dashboard",
            settings=settings,
            api=api,
            api_stage=serving.api.stage_name,
            functions=functions,
            endpoints=endpoints,
            state_machine=state_machine,
            dead_letters=self.notifier.dead_letters,
            alarms=self.alarms.alarms,
            drift=self.drift is not None,
            experiment=self.experiment is not None,
        )
        CfnOutput(self, "DashboardUrl", value=self.dashboard.url)
        CfnOutput(self, "SlackWebhookSecretName", value=self.notifier.secret_name)
