"""The prediction API: API Gateway REST in front of the predict Lambda (proxy integration).

Stage throttling, X-Ray, JSON access logs, execution logs at ERROR (never request bodies: they hold feature
values), request validation of the body's shape, and per-stage auth: an API key with a usage plan, or IAM
(SigV4). The gateway checks only the shape; the Lambda checks every feature against the data contract,
which exists only after the first pipeline run, and names each problem.
"""

from __future__ import annotations

import json
from typing import Literal

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.shared.lambda_function import retention
from cdk.shared.nag import acknowledge
from cdk.shared.settings import DeploySettings

REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"  # as lambdas/predict/schema.REQUEST_ID
Field = apigw.AccessLogField
ACCESS_LOG = {
    "requestId": Field.context_request_id(),
    "time": Field.context_request_time(),
    "ip": Field.context_identity_source_ip(),
    "apiKeyId": Field.context_identity_api_key_id(),
    "caller": Field.context_identity_caller(),
    "method": Field.context_http_method(),
    "path": Field.context_resource_path(),
    "status": Field.context_status(),
    "latencyMs": Field.context_response_latency(),
    "integrationLatencyMs": Field.context_integration_latency(),
    "integrationStatus": Field.context_integration_status(),
    "responseLength": Field.context_response_length(),
    "error": Field.context_error_message(),
    "xrayTraceId": Field.context_xray_trace_id(),
}


class PredictionApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploySettings, handler: lambda_.IFunction):
        super().__init__(scope, construct_id)
        stage = settings.stage
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=retention(stage.log_retention_days), removal_policy=RemovalPolicy.DESTROY
        )
        self.auth: Literal["api_key", "iam"] = stage.api_auth
        self.stage_name = settings.stage_name
        self.api_key: apigw.IApiKey | None = None
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=settings.prefix,
            description=f"Slipstream {settings.config.name} predictions ({settings.stage_name})",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Execution logs need the account's API Gateway CloudWatch role (one per account and region; kept on
            # delete so another stage's API keeps logging).
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=settings.stage_name,
                throttling_rate_limit=stage.api_throttle_rate,
                throttling_burst_limit=stage.api_throttle_burst,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # would log request/response bodies, i.e. feature values
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG)),
            ),
            default_method_options=apigw.MethodOptions(
                api_key_required=self.auth == "api_key",
                authorization_type=apigw.AuthorizationType.IAM if self.auth == "iam" else apigw.AuthorizationType.NONE,
            ),
        )
        self._routes(handler, settings.config.serving.max_rows)
        self._json_errors()
        if self.auth == "api_key":
            self._usage_plan(settings)
        # CDK's own URL output has a hashed name; ServingStack outputs `ApiUrl` instead.
        self.api.node.try_remove_child("Endpoint")
        self._acknowledge()

    def _routes(self, handler: lambda_.IFunction, max_rows: int) -> None:
        validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        integration = apigw.LambdaIntegration(handler, proxy=True, allow_test_invoke=False)
        bodies = {"predict": self._predict_model(max_rows), "feedback": self._feedback_model()}
        for path, model in bodies.items():
            self.api.root.add_resource(path).add_method(
                "POST",
                integration,
                request_validator=validator,
                request_models={"application/json": model},
            )
        for path in ("health", "model"):
            self.api.root.add_resource(path).add_method("GET", integration, request_validator=validator)

    def _predict_model(self, max_rows: int) -> apigw.Model:
        schema = apigw.JsonSchema(
            schema=apigw.JsonSchemaVersion.DRAFT4,
            title="PredictRequest",
            type=apigw.JsonSchemaType.OBJECT,
            required=["instances"],
            properties={
                "instances": apigw.JsonSchema(
                    type=apigw.JsonSchemaType.ARRAY,
                    min_items=1,
                    max_items=max_rows,  # [serving] max_rows: refused here, before a Lambda runs
                    items=apigw.JsonSchema(type=apigw.JsonSchemaType.OBJECT),
                )
            },
        )
        return self.api.add_model("PredictRequest", content_type="application/json", schema=schema)

    def _feedback_model(self) -> apigw.Model:
        schema = apigw.JsonSchema(
            schema=apigw.JsonSchemaVersion.DRAFT4,
            title="FeedbackRequest",
            type=apigw.JsonSchemaType.OBJECT,
            required=["request_id", "ground_truth"],
            properties={
                "request_id": apigw.JsonSchema(type=apigw.JsonSchemaType.STRING, pattern=REQUEST_ID_PATTERN),
                "row": apigw.JsonSchema(type=apigw.JsonSchemaType.INTEGER, minimum=0),
            },
        )
        return self.api.add_model("FeedbackRequest", content_type="application/json", schema=schema)

    def _json_errors(self) -> None:
        """The gateway's own 400 in the handler's error shape (`messageString` is already a JSON string)."""
        self.api.add_gateway_response(
            "BadRequestBody",
            type=apigw.ResponseType.BAD_REQUEST_BODY,
            templates={
                "application/json": '{"error": "invalid request", "detail": $context.error.messageString, '
                '"problems": [{"field": "body", "reason": "does not match the request schema; GET /model lists '
                'the features"}], "request_id": "$context.requestId"}'
            },
        )

    def _usage_plan(self, settings: DeploySettings) -> None:
        stage = settings.stage
        quota = (
            apigw.QuotaSettings(limit=stage.api_quota_per_day, period=apigw.Period.DAY)
            if stage.api_quota_per_day
            else None
        )
        plan = self.api.add_usage_plan(
            "UsagePlan",
            name=f"{settings.prefix}-default",
            throttle=apigw.ThrottleSettings(rate_limit=stage.api_throttle_rate, burst_limit=stage.api_throttle_burst),
            quota=quota,
        )
        plan.add_api_stage(stage=self.api.deployment_stage)
        # The key's value is generated by API Gateway and never appears in the template or the outputs.
        self.api_key = self.api.add_api_key("ApiKey", description=f"{settings.prefix} default caller")
        plan.add_api_key(self.api_key)

    def _acknowledge(self) -> None:
        acknowledge(
            self.api,
            "AwsSolutions-APIG3",
            "No WAF web ACL by default: it bills per ACL and rule every month, which breaks the idle-at-zero design; "
            "stage throttling and the usage plan bound abuse. Attach a web ACL in front for public production use.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-COG4",
            "Machine-to-machine API: callers use an API key with a usage plan or IAM SigV4 (stage `api_auth`), "
            "not Cognito user pools.",
        )
        if self.auth == "api_key":
            acknowledge(
                self.api,
                "AwsSolutions-APIG4",
                'Every method requires an API key bound to a throttled usage plan (stage `api_auth = "api_key"`); '
                'set `api_auth = "iam"` for SigV4 authorization.',
            )
        acknowledge(
            self.api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level logging role; this AWS-managed policy is the one API Gateway documents.",
        )
