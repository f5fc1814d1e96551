"""`[stages.<stage>] approval = "manual"`: a person says yes before the model gets production traffic.

Right after Register (before NameDeployment/CreateModel, so neither the champion's endpoint, a canary nor a
challenger changes first): WaitForApproval invokes lambdas/approval_request with the task token
(`.waitForTaskToken`); it stores the pending approval under approvals/<run id>.json and announces it. The
execution waits until the approvals API (IAM-authenticated REST API, lambdas/approval_decision) calls
SendTaskSuccess with {decision, approver, reason, decided_at}, or until the stage's timeout:
- approve: the deployment goes on (the package stays PendingManualApproval until its smoke test passes; then
  ApproveModel records the approver, and RecordDeployment writes who, when and why into the record);
- reject: RejectByApprover (the package Rejected, with the approver and the reason) -> NotifyApprovalRejected ->
  Succeed(ApprovalRejected): the champion keeps serving;
- States.Timeout: RejectTimedOut ("approval timed out") -> NotifyApprovalTimedOut -> Fail(ApprovalTimedOut).
An auto stage builds none of this (its template is unchanged). docs/approval.md.
"""

from __future__ import annotations

from typing import Protocol

from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from cdk.pipeline.common import LAMBDA_TRANSIENT
from cdk.pipeline.context import PipelineContext
from cdk.pipeline.outcome import set_model_status
from cdk.pipeline.payloads import check_payload
from cdk.pipeline.results import APPROVAL, GATE, RESULTS, RUN_ID
from cdk.shared.lambda_function import SlipstreamFunction, retention
from cdk.shared.nag import acknowledge, acknowledge_grants
from cdk.shared.settings import DeploySettings
from slipstream.documents.approval import ApprovalRequest
from slipstream.layout import APPROVALS_PREFIX

JSON = sfn.JsonPath
WAIT_ID = "WaitForApproval"  # the promote lane's CLI finds the wait by this id
API_URL_OUTPUT = "ApprovalsApiUrl"  # slipstream/cli/approve.py reads it from the pipeline stack's outputs


class Notify(Protocol):
    def __call__(self, ctx: PipelineContext, state_id: str, subject: str, fields: dict) -> sfn.TaskStateBase: ...


class ApprovalFunctions(Construct):
    """The WaitForApproval Lambda, and the approvals API with its decision Lambda."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        artifact_bucket: s3.IBucket,
        topic: sns.ITopic,
        artifact_ref: str,
    ) -> None:
        super().__init__(scope, construct_id)
        defaults, approvals = settings.lambda_defaults, f"{APPROVALS_PREFIX}*"
        self.request = SlipstreamFunction(
            self,
            "Request",
            name="approval_request",
            description="WaitForApproval: store and announce what waits for a person",
            environment={
                "PROJECT": settings.config.name,
                "STAGE": settings.stage_name,
                "RESOURCE_PREFIX": settings.prefix,
                "ARTIFACT_BUCKET": artifact_bucket.bucket_name,
                "TOPIC_ARN": topic.topic_arn,
            },
            defaults=defaults,
        )
        artifact_bucket.grant_put(self.request.role, approvals)
        topic.grant_publish(self.request.role)
        if topic.master_key is not None:  # SNS encrypts each message with the topic's key as the publisher
            topic.master_key.grant(self.request.role, "kms:Decrypt", "kms:GenerateDataKey*")
        self.decision = SlipstreamFunction(
            self,
            "Decision",
            name="approval_decision",
            description="The approvals API: list pending approvals, approve or reject one",
            environment={"ARTIFACT_BUCKET": artifact_bucket.bucket_name},
            defaults=defaults,
        )
        artifact_bucket.grant_read(self.decision.role, approvals)
        artifact_bucket.grant_put(self.decision.role, approvals)
        self.api = _api(self, settings, self.decision)
        CfnOutput(scope, API_URL_OUTPUT, value=self.api.url, description="POST approvals/{run_id} (SigV4)")
        # SendTaskSuccess/Failure have no resource types (Service Authorization Reference, Step Functions): "*"
        # is the only resource IAM evaluates them against. The task token is the capability: only the holder
        # of a live token (the pending document, readable by this function alone) can resume an execution.
        self.decision.role.add_to_policy(
            iam.PolicyStatement(actions=["states:SendTaskSuccess", "states:SendTaskFailure"], resources=["*"])
        )
        reason = "One document per run under approvals/; run ids exist only at run time."
        token = (
            "states:SendTaskSuccess/SendTaskFailure support no resource-level permissions; the task token (stored "
            "under approvals/, readable by this role only) is what names the execution."
        )
        for fn, extra in ((self.request, {}), (self.decision, {"*": token})):
            acknowledge_grants(fn.role, {f"{artifact_ref}/{approvals}": reason, **extra})
            acknowledge(
                fn.function,
                "AwsSolutions-L1",
                "Python 3.11 on purpose: the project's Python version (pyproject requires-python) and the Powertools "
                "layer's build.",
            )


def _api(scope: Construct, settings: DeploySettings, decision: SlipstreamFunction) -> apigw.RestApi:
    """Every method AWS_IAM (SigV4): API Gateway authenticates the caller and hands the Lambda its ARN."""
    access_logs = logs.LogGroup(
        scope,
        "AccessLogs",
        retention=retention(settings.stage.log_retention_days),
        removal_policy=RemovalPolicy.DESTROY,
    )
    api = apigw.RestApi(
        scope,
        "Api",
        rest_api_name=f"{settings.prefix}-approvals",
        description=f"Slipstream {settings.config.name} model approvals ({settings.stage_name})",
        endpoint_types=[apigw.EndpointType.REGIONAL],
        # The account's API Gateway logging role is the serving stack's (deployed first): not a second one here.
        cloud_watch_role=False,
        deploy_options=apigw.StageOptions(
            stage_name=settings.stage_name,
            throttling_rate_limit=5,
            throttling_burst_limit=10,
            tracing_enabled=True,
            logging_level=apigw.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,
            access_log_destination=apigw.LogGroupLogDestination(access_logs),
            access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                caller=True,
                http_method=True,
                ip=True,
                protocol=True,
                request_time=True,
                resource_path=True,
                response_length=True,
                status=True,
                user=True,
            ),
        ),
        default_method_options=apigw.MethodOptions(authorization_type=apigw.AuthorizationType.IAM),
    )
    api.node.try_remove_child("Endpoint")  # CDK's own URL output has a hashed name: ApprovalsApiUrl instead
    integration = apigw.LambdaIntegration(decision.function, proxy=True, allow_test_invoke=False)
    validator = api.add_request_validator("Validator", validate_request_body=True, validate_request_parameters=True)
    body = api.add_model(
        "DecisionBody",
        content_type="application/json",
        schema=apigw.JsonSchema(
            schema=apigw.JsonSchemaVersion.DRAFT4,
            title="DecisionBody",
            type=apigw.JsonSchemaType.OBJECT,
            required=["decision"],
            properties={"decision": apigw.JsonSchema(type=apigw.JsonSchemaType.STRING, enum=["approve", "reject"])},
        ),
    )
    approvals = api.root.add_resource("approvals")
    approvals.add_method("GET", integration, request_validator=validator)
    approvals.add_resource("{run_id}").add_method(
        "POST", integration, request_validator=validator, request_models={"application/json": body}
    )
    acknowledge(
        api,
        "AwsSolutions-APIG3",
        "No WAF web ACL: every method needs SigV4 (IAM), callers are the team's approvers, and an ACL bills monthly.",
    )
    acknowledge(api, "AwsSolutions-COG4", "IAM (SigV4) authorization: approvers are IAM principals, not Cognito users.")
    return api


def wait_for_approval(ctx: PipelineContext, approved: sfn.IChainable, notify: Notify) -> sfn.IChainable:
    """WaitForApproval -> Approved? -> `approved` | RejectByApprover; a timeout rejects (module docstring)."""
    assert ctx.approval_fn is not None, "approval = 'manual' builds ApprovalFunctions (PipelineStack)"
    stage = ctx.settings.stage
    payload = {
        "run_id": JSON.string_at(RUN_ID),
        "execution": JSON.execution_id,
        "task_token": JSON.task_token,
        "model_package_arn": JSON.string_at("$.registered.arn"),
        "version": JSON.string_at("$.registered.version"),
        "gate": JSON.object_at(GATE.path),
        "evaluation_uri": JSON.string_at("$.paths.evaluation_uri"),
        "timeout_seconds": stage.approval_timeout_seconds,
    }
    check_payload(WAIT_ID, ApprovalRequest, payload, RESULTS)
    wait = tasks.LambdaInvoke(
        ctx.scope,
        WAIT_ID,
        lambda_function=ctx.approval_fn,
        integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload=sfn.TaskInput.from_object(payload),
        task_timeout=sfn.Timeout.duration(Duration.seconds(stage.approval_timeout_seconds)),
        retry_on_service_exceptions=False,
        result_path=APPROVAL.path,
    )
    wait.add_catch(_timed_out(ctx, notify), errors=["States.Timeout"], result_path="$.error")  # before the guard's
    ctx.guard(wait, LAMBDA_TRANSIENT)
    choice = sfn.Choice(ctx.scope, "Approved")
    choice.when(sfn.Condition.string_equals(APPROVAL.field("decision"), "approve"), approved)
    choice.otherwise(_rejected(ctx, notify))
    return wait.next(choice)


def _rejected(ctx: PipelineContext, notify: Notify) -> sfn.IChainable:
    approver, reason = JSON.string_at(APPROVAL.field("approver")), JSON.string_at(APPROVAL.field("reason"))
    decided_at = JSON.string_at(APPROVAL.field("decided_at"))
    details = {
        "ApprovalDescription": JSON.format("rejected by {} at {}: {}", approver, decided_at, reason),
        "CustomerMetadataProperties": {"approval": "rejected", "decided_by": approver, "decided_at": decided_at},
    }
    fields = {
        "status": "rejected by approver",
        "model_package": JSON.string_at("$.registered.arn"),
        "approval": JSON.object_at(APPROVAL.path),
    }
    return (
        set_model_status(ctx, "RejectByApprover", "Rejected", details)
        .next(notify(ctx, "NotifyApprovalRejected", "model rejected by its approver, champion kept", fields))
        .next(sfn.Succeed(ctx.scope, "ApprovalRejected"))
    )


def _timed_out(ctx: PipelineContext, notify: Notify) -> sfn.IChainable:
    hours = f"{ctx.settings.stage.approval_timeout_hours:g}"
    details = {
        "ApprovalDescription": f"approval timed out: nobody decided within {hours} hours",
        "CustomerMetadataProperties": {"approval": "timed out"},
    }
    fields = {"status": "approval timed out", "model_package": JSON.string_at("$.registered.arn")}
    return (
        set_model_status(ctx, "RejectTimedOut", "Rejected", details)
        .next(notify(ctx, "NotifyApprovalTimedOut", f"approval timed out after {hours} h, champion kept", fields))
        .next(sfn.Fail(ctx.scope, "ApprovalTimedOut", error="ApprovalTimedOut", cause="Nobody approved in time"))
    )


def approved_details() -> dict:
    """ApproveModel's extra UpdateModelPackage fields on a manual stage: who approved, when and why."""
    approver, decided_at = JSON.string_at(APPROVAL.field("approver")), JSON.string_at(APPROVAL.field("decided_at"))
    reason = JSON.string_at(APPROVAL.field("reason"))
    return {
        "ApprovalDescription": JSON.format("approved by {} at {}: {}", approver, decided_at, reason),
        "CustomerMetadataProperties": {"approval": "approved", "approved_by": approver, "approved_at": decided_at},
    }
