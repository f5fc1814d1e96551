"""Capture path: a Firehose delivery stream that batches the predict Lambda's records into the artifact bucket.

Objects land under `captures/data/<yyyy/MM/dd/HH>/` (GZIP, KMS with the project's data key), where the drift
Lambda reads them and the storage stack's `expire-captures` lifecycle rule deletes them. Records Firehose
cannot deliver land under `captures/errors/`, outside the drift Lambda's prefix.

An L1 on purpose: the L2 destination grants read/write on the whole bucket; this role may only write
`captures/*`.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.shared.lambda_function import retention
from cdk.shared.nag import acknowledge_grants
from slipstream.layout import CAPTURE_DATA_PREFIX, CAPTURE_ERRORS_PREFIX, CAPTURES_PREFIX


class CaptureStream(Construct):
    """`stream_name` / `stream_arn`; `grant_put(grantee)` lets a function write records."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        key: kms.IKey,
        bucket_ref: str,
        log_retention_days: int,
        buffer_seconds: int = 300,
    ) -> None:
        super().__init__(scope, construct_id)
        self.data_prefix = CAPTURE_DATA_PREFIX
        logs_group = logs.LogGroup(
            self, "DeliveryLogs", retention=retention(log_retention_days), removal_policy=RemovalPolicy.DESTROY
        )
        log_stream = logs_group.add_stream("S3Delivery")
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}}
            ),
            description="Capture delivery stream: write captures/ of the artifact bucket only",
        )
        # PutObject (+ multipart abort) under captures/, and the data key for SSE-KMS; nothing else in the bucket.
        bucket.grant_put(role, f"{CAPTURES_PREFIX}*")
        # Firehose checks the bucket and lists its own multipart uploads: bucket-level, no objects.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[bucket.bucket_arn],
            )
        )
        logs_group.grant_write(role)
        self.stream = firehose.CfnDeliveryStream(
            self,
            "Stream",
            delivery_stream_type="DirectPut",
            # Records at rest inside Firehose (up to the buffer interval): an AWS-owned key, no key policy to manage.
            delivery_stream_encryption_configuration_input=firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="AWS_OWNED_CMK"
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=bucket.bucket_arn,
                role_arn=role.role_arn,
                prefix=f"{self.data_prefix}!{{timestamp:yyyy/MM/dd/HH}}/",
                error_output_prefix=f"{CAPTURE_ERRORS_PREFIX}!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/",
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    interval_in_seconds=buffer_seconds, size_in_m_bs=5
                ),
                compression_format="GZIP",  # the drift Lambda reads gzip and plain objects alike
                encryption_configuration=firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                    kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                        awskms_key_arn=key.key_arn
                    )
                ),
                cloud_watch_logging_options=firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty(
                    enabled=True, log_group_name=logs_group.log_group_name, log_stream_name=log_stream.log_stream_name
                ),
            ),
        )
        # Firehose validates its role at creation: the policy must be attached first.
        self.stream.node.add_dependency(role)
        acknowledge_grants(
            role,
            {f"{bucket_ref}/{CAPTURES_PREFIX}*": "Firehose names objects by time and a random suffix under captures/."},
        )

    @property
    def stream_name(self) -> str:
        return self.stream.ref

    @property
    def stream_arn(self) -> str:
        return self.stream.attr_arn

    def grant_put(self, grantee: iam.IGrantable) -> iam.Grant:
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
            resource_arns=[self.stream_arn],
        )
