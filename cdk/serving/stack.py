"""Serving: the prediction API, the predict Lambda, the feedback table, and the warehouse: the Glue database
with the `captures` and `feedback` tables, the two streams (Firehose -> Parquet in S3) that fill them, and the
Athena workgroup with the saved queries.

The SageMaker endpoints themselves belong to the pipeline, which creates or updates them on every deploy;
this stack only needs their names (DeploySettings.endpoint_name, challenger_endpoint_name).
"""

from __future__ import annotations

import functools

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.serving.capture_stream import CaptureStream, StreamTarget
from cdk.serving.feedback_store import FeedbackStore
from cdk.serving.predict_function import PredictFunction
from cdk.serving.prediction_api import PredictionApi
from cdk.shared.front_door import FrontDoorExports
from cdk.shared.settings import DeploySettings
from cdk.shared.storage_stack import StorageExports
from cdk.warehouse.athena import QueryWorkgroup
from cdk.warehouse.catalog import Catalog
from cdk.warehouse.tables import athena_queries, warehouse_tables
from slipstream.layout import (
    CAPTURE_DATA_PREFIX,
    CAPTURE_ERRORS_PREFIX,
    CAPTURES_PREFIX,
    CONTRACT_KEY,
    DEPLOYMENT_KEY,
    FEEDBACK_DATA_PREFIX,
    FEEDBACK_ERRORS_PREFIX,
    FEEDBACK_PREFIX,
)
from slipstream.warehouse.schema import CAPTURES, FEEDBACK

CAPTURE_TARGET = StreamTarget(CAPTURES, CAPTURES_PREFIX, CAPTURE_DATA_PREFIX, CAPTURE_ERRORS_PREFIX)
FEEDBACK_TARGET = StreamTarget(FEEDBACK, FEEDBACK_PREFIX, FEEDBACK_DATA_PREFIX, FEEDBACK_ERRORS_PREFIX)


class ServingStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploySettings, storage: StorageExports, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        _, artifact_bucket, key = storage.import_into(self)
        stage = settings.stage
        self._warehouse(settings, storage, artifact_bucket, key)
        self.feedback = FeedbackStore(
            self,
            "Feedback",
            key=key,
            removal_policy=RemovalPolicy.RETAIN if stage.retain_data else RemovalPolicy.DESTROY,
            retention_days=stage.capture_retention_days,
        )
        self.predict = PredictFunction(
            self,
            "Predict",
            settings=settings,
            artifact_bucket=artifact_bucket,
            contract_key=CONTRACT_KEY,
            deployment_key=DEPLOYMENT_KEY,
            capture=self.capture,
            feedback=self.feedback,
            feedback_stream=self.feedback_stream,
        )
        self.api = PredictionApi(self, "Api", settings=settings, handler=self.predict.function)
        self.deployment_uri = artifact_bucket.s3_url_for_object(DEPLOYMENT_KEY)
        exports = FrontDoorExports(settings.prefix)  # the pipeline's SmokeTest calls the API through these
        url, api_id = self.api.api.url, self.api.api.rest_api_id
        CfnOutput(self, "ApiUrl", value=url, description="Prediction API base URL", export_name=exports.name("api-url"))
        CfnOutput(self, "ApiId", value=api_id, export_name=exports.name("api-id"))
        if self.api.api_key is not None:
            description, key_id = "get-api-key --include-value", self.api.api_key.key_id
            CfnOutput(self, "ApiKeyId", value=key_id, description=description, export_name=exports.name("api-key-id"))
        CfnOutput(self, "ChampionEndpoint", value=settings.endpoint_name)
        CfnOutput(self, "FeedbackTable", value=self.feedback.table.table_name)
        if self.api.feedback_auth == "iam":
            description = "allow execute-api:Invoke on it to the role that posts feedback (SigV4)"
            CfnOutput(self, "FeedbackInvokeArn", value=self.api.feedback_arn(), description=description)
        CfnOutput(self, "WarehouseDatabase", value=settings.warehouse_database, description="Glue database")
        CfnOutput(self, "AthenaWorkGroup", value=settings.athena_workgroup)

    def _warehouse(self, settings: DeploySettings, storage: StorageExports, bucket: s3.IBucket, key: kms.IKey) -> None:
        """The Glue tables, the streams that fill them (captures only when `[serving] capture`), the workgroup."""
        captures, feedback = warehouse_tables(settings.config)
        self.catalog = Catalog(
            self,
            "Warehouse",
            database_name=settings.warehouse_database,
            tables={
                CAPTURES: (captures, bucket.s3_url_for_object(CAPTURE_DATA_PREFIX)),
                FEEDBACK: (feedback, bucket.s3_url_for_object(FEEDBACK_DATA_PREFIX)),
            },
        )
        stream = functools.partial(
            CaptureStream,
            self,
            catalog=self.catalog,
            bucket=bucket,
            key=key,
            bucket_ref=storage.name("artifact-bucket-arn"),
            log_retention_days=settings.stage.log_retention_days,
        )
        self.capture: CaptureStream | None = None
        if settings.config.serving.capture:
            description = "Capture delivery stream: write captures/ of the artifact bucket only"
            self.capture = stream("Capture", target=CAPTURE_TARGET, description=description)
        description = "Feedback delivery stream: write feedback/ of the artifact bucket only"
        self.feedback_stream = stream("FeedbackStream", target=FEEDBACK_TARGET, description=description)
        self.queries = QueryWorkgroup(
            self,
            "Queries",
            name=settings.athena_workgroup,
            bucket=bucket,
            key=key,
            scan_limit_mb=settings.config.warehouse.athena_scan_limit_mb,
            database=settings.warehouse_database,
            queries=[(q.name, q.description, q.sql) for q in athena_queries(settings.config)],
        )
