"""Datadog metric stream: the project's CloudWatch namespaces, streamed to Datadog within ~3 minutes.

A CloudWatch metric stream (an L1: there is no L2) feeds a Firehose delivery stream whose HTTP endpoint is
Datadog's intake for the configured site; Firehose reads the API key from Secrets Manager (the secret holds
`{"api_key": ...}`, Firehose's format) so it never appears in the template. What Datadog refuses is kept in
the artifact bucket under `datadog/failed/` (expired with the captures) instead of being lost silently.
Only in the app when `[observability.datadog]` is on for the stage with `metric_stream = true`.
"""

from __future__ import annotations

from aws_cdk import Duration, Size, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk.shared.nag import acknowledge_grants
from cdk.shared.settings import DeploySettings
from cdk.shared.storage_stack import StorageExports
from slipstream.layout import DATADOG_FAILED_PREFIX
from slipstream.observability_config import DatadogConfig


class DatadogMetricStreamStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        datadog: DatadogConfig,
        storage: StorageExports,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        _, artifact_bucket, key = storage.import_into(self)
        secret = secretsmanager.Secret.from_secret_name_v2(
            self, "ApiKey", datadog.metric_stream_secret_name(settings.config.name)
        )
        self.delivery = firehose.DeliveryStream(
            self,
            "ToDatadog",
            destination=firehose.HttpEndpoint(
                endpoint_config=firehose.HttpEndpointConfig(
                    url=datadog.metric_intake_url, name="Datadog", secret=secret
                ),
                buffering_hints=firehose.HttpBufferingHints(interval=Duration.seconds(60), size=Size.mebibytes(4)),
                request_compression=firehose.HttpCompression.GZIP,
                retry_options=firehose.HttpRetryOptions(duration=Duration.seconds(60)),
                backup_mode=firehose.HttpBackupMode.FAILED,
                s3_backup=firehose.DestinationS3BackupProps(
                    bucket=artifact_bucket,
                    data_output_prefix=DATADOG_FAILED_PREFIX,
                    error_output_prefix=f"{DATADOG_FAILED_PREFIX}errors/",
                    encryption_key=key,
                ),
            ),
            encryption=firehose.StreamEncryption.aws_owned_key(),
        )
        role = iam.Role(
            self,
            "StreamRole",
            assumed_by=iam.ServicePrincipal(
                "streams.metrics.cloudwatch.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            ),
            description="CloudWatch metric stream: put records into the Datadog delivery stream only",
        )
        self.delivery.grant_put_records(role)
        self.stream = cloudwatch.CfnMetricStream(
            self,
            "MetricStream",
            firehose_arn=self.delivery.delivery_stream_arn,
            role_arn=role.role_arn,
            output_format="opentelemetry0.7",  # what Datadog's intake reads
            include_filters=[
                cloudwatch.CfnMetricStream.MetricStreamFilterProperty(namespace=namespace)
                for namespace in datadog.namespaces
            ],
        )
        self.stream.node.add_dependency(role)
        acknowledge_grants(
            self.delivery,
            {
                f"{storage.name('artifact-bucket-arn')}/*": "CDK's Firehose S3 backup grants the whole bucket; "
                f"Firehose writes only under {DATADOG_FAILED_PREFIX}.",
            },
        )
