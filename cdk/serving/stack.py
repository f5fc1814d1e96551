"""Serving: the prediction API, the predict Lambda, the capture stream (Firehose -> S3) and the feedback table.

The SageMaker endpoints themselves belong to the pipeline, which creates or updates them on every deploy;
this stack only needs their names (DeploySettings.endpoint_name, challenger_endpoint_name).
"""

from __future__ import annotations

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from cdk.serving.capture_stream import CaptureStream
from cdk.serving.feedback_store import FeedbackStore
from cdk.serving.predict_function import PredictFunction
from cdk.serving.prediction_api import PredictionApi
from cdk.shared.settings import DeploySettings
from cdk.shared.storage_stack import StorageExports
from slipstream.layout import CONTRACT_KEY, DEPLOYMENT_KEY


class ServingStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploySettings, storage: StorageExports, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        _, artifact_bucket, key = storage.import_into(self)
        stage = settings.stage
        self.capture = None
        if settings.config.serving.capture:
            self.capture = CaptureStream(
                self,
                "Capture",
                bucket=artifact_bucket,
                key=key,
                bucket_ref=storage.name("artifact-bucket-arn"),
                log_retention_days=stage.log_retention_days,
            )
        self.feedback = FeedbackStore(
            self,
            "Feedback",
            key=key,
            removal_policy=RemovalPolicy.RETAIN if stage.retain_data else RemovalPolicy.DESTROY,
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
        )
        self.api = PredictionApi(self, "Api", settings=settings, handler=self.predict.function)
        self.deployment_uri = artifact_bucket.s3_url_for_object(DEPLOYMENT_KEY)
        CfnOutput(self, "ApiUrl", value=self.api.api.url, description="Prediction API base URL")
        if self.api.api_key is not None:
            CfnOutput(self, "ApiKeyId", value=self.api.api_key.key_id, description="get-api-key --include-value")
        CfnOutput(self, "ChampionEndpoint", value=settings.endpoint_name)
        CfnOutput(self, "FeedbackTable", value=self.feedback.table.table_name)
