"""The predict Lambda (lambdas/predict): its environment from the config and what it may touch.

Environment: every variable of lambdas/predict/env.PredictEnv that applies on AWS (docs/serving.md lists them);
SHADOW_SHARE only when `[experiment] shadow_share` > 0 (the handler's default, 0, mirrors nothing).
Permissions: InvokeEndpoint on the champion (and challenger) endpoint only, GetObject on the contract and the
deployment record, PutRecord(Batch) on the capture and feedback streams, PutItem on the feedback table.
"""

from __future__ import annotations

from typing import Literal

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.serving.capture_stream import CaptureStream
from cdk.serving.feedback_store import FeedbackStore
from cdk.shared.lambda_function import SlipstreamFunction, emf_dimensions
from cdk.shared.nag import acknowledge, acknowledge_grants
from cdk.shared.settings import DeploySettings

# API Gateway gives up on an integration after 29 s; a Lambda running longer only wastes money.
TIMEOUT_SECONDS = 29
PREDICT = "predict"  # the function's name, and so Powertools' `service` dimension of its metrics


class PredictFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        artifact_bucket: s3.IBucket,
        contract_key: str,
        deployment_key: str,
        capture: CaptureStream | None,
        feedback: FeedbackStore,
        feedback_stream: CaptureStream | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        serving, stage = settings.config.serving, settings.stage
        endpoints = {"CHAMPION_ENDPOINT": settings.endpoint_name}
        if settings.challenger_endpoint_name:
            endpoints["CHALLENGER_ENDPOINT"] = settings.challenger_endpoint_name
        environment: dict[str, object] = {
            "CONTRACT_URI": artifact_bucket.s3_url_for_object(contract_key),
            # Optional in the handler: without the record only the champion is routed and /model shows no
            # versions. The pipeline's RecordDeployment writes it after a deploy; until then it is missing.
            "DEPLOYMENT_URI": artifact_bucket.s3_url_for_object(deployment_key),
            **endpoints,
            "CHALLENGER_WEIGHT": settings.config.challenger_weight,
            "CALLER_HEADER": serving.caller_header,
            "MAX_ROWS": serving.max_rows,
            "MAX_BODY_BYTES": serving.max_body_bytes,
            "FEEDBACK_TABLE": feedback.table.table_name,
            "ISSUED_TABLE": feedback.issued.table_name,
            "ISSUED_RETENTION_DAYS": feedback.retention_days,
        }
        if feedback_stream is not None:  # the warehouse's `feedback` table, besides DynamoDB
            environment["FEEDBACK_STREAM"] = feedback_stream.stream_name
        if settings.challenger_endpoint_name and settings.config.experiment.shadow_share > 0:
            # Only when mirroring: a template without shadow mode stays as it was.
            environment["SHADOW_SHARE"] = settings.config.experiment.shadow_share
        if capture is not None:
            environment["CAPTURE_STREAM"] = capture.stream_name
        self.fn = SlipstreamFunction(
            self,
            "Predict",
            name=PREDICT,
            slipstream_modules=("warehouse",),  # the capture rows' columns (slipstream/warehouse/schema.py)
            description="Prediction API: validate, route champion/challenger, invoke, capture",
            environment=environment,
            defaults=settings.lambda_defaults,
            memory_mb=512,  # pydantic model building at cold start is CPU-bound; more memory = more CPU
            timeout_seconds=TIMEOUT_SECONDS,
            reserved_concurrency=stage.predict_reserved_concurrency or None,  # 0: reserve none (never throttle all)
        )
        role = self.fn.role
        artifact_bucket.grant_read(role, contract_key)
        artifact_bucket.grant_read(role, deployment_key)
        stack = Stack.of(self)
        names = [name for key, name in endpoints.items()]
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["sagemaker:InvokeEndpoint"],
                # SageMaker ARNs use lower-case names.
                resources=[
                    stack.format_arn(service="sagemaker", resource="endpoint", resource_name=n.lower()) for n in names
                ],
            )
        )
        if capture is not None:
            capture.grant_put(role)
        feedback.grant_record(role)
        if feedback_stream is not None:
            feedback_stream.grant_put(role)
        acknowledge_grants(role, {})
        acknowledge(
            self.fn.function,
            "AwsSolutions-L1",
            "Python 3.11 on purpose: the project's Python version (pyproject requires-python) and the Powertools "
            "layer's build.",
        )

    @property
    def function(self) -> lambda_.Function:
        return self.fn.function

    def metric_issued_failed(self) -> cloudwatch.Metric:
        """Issued request ids the function could not record, summed per 5 minutes: `IssuedFailed`, emitted by
        lambdas/predict/api.py through Powertools (namespace Slipstream, `service`)."""
        return cloudwatch.Metric(
            namespace="Slipstream",
            metric_name="IssuedFailed",
            dimensions_map=emf_dimensions(PREDICT),
            statistic="Sum",
            period=Duration.minutes(5),
        )

    def metric_captures(self, kind: Literal["dropped", "failed"]) -> cloudwatch.Metric:
        """Captured records the queue dropped (full) or whose write failed, summed per 5 minutes: what
        lambdas/predict/api.py emits as `Capture<Kind>` through Powertools (namespace Slipstream, `service`)."""
        return cloudwatch.Metric(
            namespace="Slipstream",
            metric_name=f"Capture{kind.title()}",
            dimensions_map=emf_dimensions(PREDICT),
            statistic="Sum",
            period=Duration.minutes(5),
        )
