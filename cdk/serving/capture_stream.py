"""Delivery streams into the warehouse: Firehose batches JSON rows from the predict Lambda, converts them to
Parquet by their Glue table's columns, and writes them into the artifact bucket.

One stream per table: captures (one row per predicted instance) under `captures/data/<yyyy/MM/dd/HH>/`, where
the drift Lambda reads them, and feedback under `feedback/data/<yyyy/MM/dd/HH>/`; both SSE-KMS with the
project's data key, both expired by the storage stack's lifecycle rules. Rows Firehose cannot convert or
deliver land under `<table prefix>errors/<error type>/` (`format-conversion-failed/` for a row that does not
parse or fit the table), outside the table's location.

Record-format conversion: the Hive JSON deserializer with the capture's timestamp format (ISO-8601, milliseconds
and offset, `datetime.isoformat(timespec="milliseconds")`), the Parquet serializer (Snappy inside the file, so
the S3 compression is UNCOMPRESSED as Firehose requires), and the table's latest version read as the delivery
role, which may read that table's schema and nothing else of the catalog.

An L1 on purpose: the L2 destination grants read/write on the whole bucket; this role may only write its
table's prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.shared.lambda_function import retention
from cdk.shared.nag import acknowledge_grants
from cdk.warehouse.catalog import Catalog

CF = firehose.CfnDeliveryStream
# Firehose refuses a smaller buffer when it converts the record format (Developer Guide, "Convert input data
# format": "the minimum buffer size is 64 MiB"); the interval still closes a batch every `buffer_seconds`.
CONVERSION_MIN_BUFFER_MB = 64
# Joda-Time DateTimeFormat: `ZZ` reads `+00:00` (and `Z`), as Python's isoformat writes the capture's times.
TIMESTAMP_FORMATS = ["yyyy-MM-dd'T'HH:mm:ss.SSSZZ"]


@dataclass(frozen=True)
class StreamTarget:
    """Where one table's stream writes: its root prefix (the role's grant), data and error prefixes, its table."""

    table: str
    prefix: str
    data_prefix: str
    errors_prefix: str


class CaptureStream(Construct):
    """`stream_name` / `stream_arn` / `data_prefix`; `grant_put(grantee)` lets a function write rows."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        target: StreamTarget,
        catalog: Catalog,
        bucket: s3.IBucket,
        key: kms.IKey,
        bucket_ref: str,
        log_retention_days: int,
        description: str,
        buffer_seconds: int = 300,
        buffer_mb: int = CONVERSION_MIN_BUFFER_MB,
    ) -> None:
        super().__init__(scope, construct_id)
        if buffer_mb < CONVERSION_MIN_BUFFER_MB:
            raise ValueError(f"Firehose converts to Parquet with a buffer of {CONVERSION_MIN_BUFFER_MB} MiB or more")
        self.data_prefix = target.data_prefix
        logs_group = logs.LogGroup(
            self, "DeliveryLogs", retention=retention(log_retention_days), removal_policy=RemovalPolicy.DESTROY
        )
        log_stream = logs_group.add_stream("S3Delivery")
        role = self._role(target, catalog, bucket, description)
        logs_group.grant_write(role)
        self.stream = CF(
            self,
            "Stream",
            delivery_stream_type="DirectPut",
            # Records at rest inside Firehose (up to the buffer interval): an AWS-owned key, no key policy to manage.
            delivery_stream_encryption_configuration_input=CF.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="AWS_OWNED_CMK"
            ),
            extended_s3_destination_configuration=CF.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=bucket.bucket_arn,
                role_arn=role.role_arn,
                prefix=f"{self.data_prefix}!{{timestamp:yyyy/MM/dd/HH}}/",
                error_output_prefix=f"{target.errors_prefix}!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/",
                buffering_hints=CF.BufferingHintsProperty(interval_in_seconds=buffer_seconds, size_in_m_bs=buffer_mb),
                compression_format="UNCOMPRESSED",  # Parquet compresses inside the file
                data_format_conversion_configuration=_conversion(catalog, target.table, role),
                encryption_configuration=CF.EncryptionConfigurationProperty(
                    kms_encryption_config=CF.KMSEncryptionConfigProperty(awskms_key_arn=key.key_arn)
                ),
                cloud_watch_logging_options=CF.CloudWatchLoggingOptionsProperty(
                    enabled=True, log_group_name=logs_group.log_group_name, log_stream_name=log_stream.log_stream_name
                ),
            ),
        )
        # Firehose validates its role (and reads the table) at creation: the policy and the table come first.
        self.stream.node.add_dependency(role)
        self.stream.node.add_dependency(catalog.tables[target.table])
        reason = f"Firehose names objects by time and a random suffix under {target.prefix}"
        acknowledge_grants(role, {f"{bucket_ref}/{target.prefix}*": reason})

    def _role(self, target: StreamTarget, catalog: Catalog, bucket: s3.IBucket, description: str) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}}
            ),
            description=description,
        )
        # PutObject (+ multipart abort) under its prefix, and the data key for SSE-KMS; nothing else in the bucket.
        bucket.grant_put(role, f"{target.prefix}*")
        # Firehose checks the bucket and lists its own multipart uploads: bucket-level, no objects.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[bucket.bucket_arn],
            )
        )
        catalog.grant_schema(role, target.table)
        return role

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


def _conversion(catalog: Catalog, table: str, role: iam.IRole) -> CF.DataFormatConversionConfigurationProperty:
    stack = Stack.of(catalog)
    return CF.DataFormatConversionConfigurationProperty(
        enabled=True,
        input_format_configuration=CF.InputFormatConfigurationProperty(
            deserializer=CF.DeserializerProperty(
                hive_json_ser_de=CF.HiveJsonSerDeProperty(timestamp_formats=TIMESTAMP_FORMATS)
            )
        ),
        output_format_configuration=CF.OutputFormatConfigurationProperty(
            serializer=CF.SerializerProperty(parquet_ser_de=CF.ParquetSerDeProperty(compression="SNAPPY"))
        ),
        schema_configuration=CF.SchemaConfigurationProperty(
            catalog_id=stack.account,
            database_name=catalog.database_name,
            table_name=table,
            region=stack.region,
            role_arn=role.role_arn,
            version_id="LATEST",
        ),
    )
