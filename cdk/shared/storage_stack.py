"""Storage: the data bucket (where new training data lands) and the artifact bucket (runs, models, captures).

Both are KMS-encrypted with one customer key, versioned, TLS-only, private, and log access to a third,
SSE-S3 bucket (S3 server access logging cannot deliver into a KMS-encrypted bucket).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.shared.nag import acknowledge
from cdk.shared.promotion_grants import grant_storage
from cdk.shared.settings import DeploySettings
from slipstream.batch_keys import MANIFEST_PREFIX
from slipstream.layout import (
    ATHENA_RESULTS_PREFIX,
    CAPTURES_PREFIX,
    DATADOG_FAILED_PREFIX,
    FEEDBACK_PREFIX,
    MODELS_PREFIX,
    RUNS_PREFIX,
)

ATHENA_RESULTS_DAYS = 30  # the Athena console lists a query's results for as long; older ones re-run
# A batch manifest is read once, when its processing job starts (the job runs 6 h at most, the state machine 7 h);
# a re-run of the same file writes its own. S3 applies expirations about daily, so 2 days is a safe floor.
BATCH_MANIFEST_DAYS = 2


@dataclass(frozen=True)
class StorageExports:
    """Named exports of the storage stack, imported by the stacks that use the buckets.

    Explicit names (rather than CDK's generated ones) keep the IAM resources in other stacks readable and
    their cdk-nag acknowledgements stable: a finding reads `Resource::<export name>/runs/*`.
    """

    prefix: str

    def name(self, what: str) -> str:
        return f"{self.prefix}-storage-{what}"

    def import_into(self, scope: Construct) -> tuple[s3.IBucket, s3.IBucket, kms.IKey]:
        """(data bucket, artifact bucket, key) as seen from another stack."""
        key = kms.Key.from_key_arn(scope, "DataKey", Fn.import_value(self.name("key-arn")))
        data = s3.Bucket.from_bucket_attributes(
            scope, "DataBucket", encryption_key=key, bucket_arn=Fn.import_value(self.name("data-bucket-arn"))
        )
        artifacts = s3.Bucket.from_bucket_attributes(
            scope, "ArtifactBucket", encryption_key=key, bucket_arn=Fn.import_value(self.name("artifact-bucket-arn"))
        )
        return data, artifacts, key


class StorageStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploySettings, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        stage = settings.stage
        removal = RemovalPolicy.RETAIN if stage.retain_data else RemovalPolicy.DESTROY
        self.key = kms.Key(
            self,
            "DataKey",
            description=f"{settings.prefix}: data, artifacts, notifications",
            enable_key_rotation=True,
            removal_policy=removal,
        )
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(365))],
            removal_policy=removal,
            auto_delete_objects=False,
        )
        self.data_bucket = self._bucket(
            "Data",
            "data/",
            removal,
            [
                s3.LifecycleRule(id="expire-old-versions", noncurrent_version_expiration=Duration.days(90)),
            ],
        )
        self.artifact_bucket = self._bucket(
            "Artifacts",
            "artifacts/",
            removal,
            [
                # A run's working files (data split, training output, evaluation) expire; what a deployment still
                # needs is copied to models/<run id>/ by the pipeline before it registers the model.
                s3.LifecycleRule(
                    id="expire-old-runs",
                    prefix=RUNS_PREFIX,
                    expiration=Duration.days(stage.artifact_retention_days),
                    noncurrent_version_expiration=Duration.days(30),
                ),
                # No current-version expiration under models/: the champion, and any config a rollback can return
                # to, load model.tar.gz from there for as long as they exist. Only replaced versions expire.
                s3.LifecycleRule(
                    id="expire-replaced-models",
                    prefix=MODELS_PREFIX,
                    noncurrent_version_expiration=Duration.days(30),
                ),
                s3.LifecycleRule(
                    id="expire-captures",
                    prefix=CAPTURES_PREFIX,
                    expiration=Duration.days(stage.capture_retention_days),
                    noncurrent_version_expiration=Duration.days(7),
                ),
                # Ground truth in the warehouse is kept as long as the traffic it labels.
                s3.LifecycleRule(
                    id="expire-feedback",
                    prefix=FEEDBACK_PREFIX,
                    expiration=Duration.days(stage.capture_retention_days),
                    noncurrent_version_expiration=Duration.days(7),
                ),
                # Query results are copies of what the tables hold: a re-run answers again.
                s3.LifecycleRule(
                    id="expire-athena-results",
                    prefix=ATHENA_RESULTS_PREFIX,
                    expiration=Duration.days(ATHENA_RESULTS_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="expire-batch-manifests",
                    prefix=MANIFEST_PREFIX,
                    expiration=Duration.days(BATCH_MANIFEST_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(7)
                ),
                *self._datadog_rules(settings),
            ],
        )
        grant_storage(settings, self.artifact_bucket, self.key)  # stages that promote from this one read models
        self._acknowledge_notifications_handler()
        self.exports = StorageExports(settings.prefix)
        for what, value in (
            ("key-arn", self.key.key_arn),
            ("data-bucket-arn", self.data_bucket.bucket_arn),
            ("artifact-bucket-arn", self.artifact_bucket.bucket_arn),
        ):
            CfnOutput(self, f"Export-{what}", value=value, export_name=self.exports.name(what))

    @staticmethod
    def _datadog_rules(settings: DeploySettings) -> list[s3.LifecycleRule]:
        """Metrics Datadog refused expire like the captures (only when the stage streams metrics to Datadog)."""
        if settings.datadog is None or not settings.datadog.metric_stream:
            return []
        return [
            s3.LifecycleRule(
                id="expire-datadog-failed",
                prefix=DATADOG_FAILED_PREFIX,
                expiration=Duration.days(settings.stage.capture_retention_days),
            )
        ]

    def _acknowledge_notifications_handler(self) -> None:
        """CDK's own singleton Lambda that turns on the data bucket's EventBridge notifications."""
        for child in self.node.children:
            if child.node.id.startswith("BucketNotificationsHandler"):
                acknowledge(
                    child,
                    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AWSLambdaBasicExecutionRole]",
                    "CDK-provided handler that only sets the bucket notification configuration once at deploy; "
                    "its role is defined by aws-cdk-lib.",
                )

    def _bucket(self, name: str, log_prefix: str, removal: RemovalPolicy, rules: list[s3.LifecycleRule]) -> s3.Bucket:
        return s3.Bucket(
            self,
            name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,  # fewer KMS calls (and cost) for the many small artifacts
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=log_prefix,
            # New data reaches EventBridge, which starts the pipeline (see PipelineStack).
            event_bridge_enabled=name == "Data",
            lifecycle_rules=rules,
            removal_policy=removal,
        )
