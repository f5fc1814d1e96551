"""After the smoke test's verdict: approve the package and write the deployment record, or reject it and put
the endpoint back the way it was (the previous config, or no endpoint at all when it was brand new)."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_stepfunctions as sfn

from cdk.pipeline.context import PipelineContext, delete_endpoint, sagemaker_call
from cdk.pipeline.deploy import CARD_STATUS, endpoint_error, wait_for_endpoint
from cdk.pipeline.results import APPROVAL, DEPLOYMENT_RECORD, GATE, RUN_ID, VALIDATION
from slipstream.documents.record import RecordRequest

JSON = sfn.JsonPath


def set_model_status(
    ctx: PipelineContext, state_id: str, status: str, details: dict[str, Any] | None = None
) -> sfn.TaskStateBase:
    """The package's approval status, and its model card's with it (Approved: Approved, Rejected: Draft). The
    card's content is sent again, as the QualityGate wrote it: UpdateModelPackage takes the card whole.
    `details` adds fields (ApprovalDescription, CustomerMetadataProperties)."""
    group = ctx.settings.model_package_group
    card = {"ModelCardContent": JSON.string_at(GATE.field("model_card")), "ModelCardStatus": CARD_STATUS[status]}
    return sagemaker_call(
        ctx,
        state_id,
        "updateModelPackage",
        {
            "ModelPackageArn": JSON.string_at("$.registered.arn"),
            "ModelApprovalStatus": status,
            "ModelCard": card,
            **(details or {}),
        },
        [ctx.arn("model-package", f"{group}/*")],
        result_path=JSON.DISCARD,
    )


def record_deployment(
    ctx: PipelineContext,
    state_id: str = "RecordDeployment",
    *,
    canary: dict[str, Any] | None = None,
    variant: str | None = None,
    endpoint: str | None = None,
) -> sfn.TaskStateBase:
    """Write the deployment record (docs/serving.md) the predict and drift Lambdas read. Only after the
    approval: every other path leaves the previous record, which still describes the model serving.
    With `canary` (RecordRequest.canary): the model joins the champion as a canary on the challenger endpoint.
    `variant="challenger"` adds this run's model as the challenger on `endpoint` (cdk/pipeline/challenger.py)."""
    if endpoint is None:
        endpoint = ctx.settings.challenger_endpoint_name if canary else ctx.settings.endpoint_name
    payload = {
        "run_id": JSON.string_at(RUN_ID),
        "endpoint_name": endpoint,
        "model_package_arn": JSON.string_at("$.registered.arn"),
        "gate": JSON.object_at(GATE.path),
        "data_uri": JSON.string_at("$.paths.data_uri"),  # RunPaths, or the promoted package's (PromotedRun)
        "data_sha256": JSON.string_at(VALIDATION.field("data_sha256")),
        "evaluation_uri": JSON.string_at("$.paths.evaluation_uri"),
        "contract_uri": JSON.string_at(VALIDATION.field("contract_uri")),
        # The retained copy (RetainBaseline): drift reads it for as long as this version serves.
        "baseline_uri": JSON.string_at("$.paths.retained_baseline_uri"),
        "report_uri": JSON.string_at(VALIDATION.field("report_uri")),
        **({"canary": canary} if canary else {}),
        **({"variant": variant} if variant else {}),
        # A manual stage's decision (WaitForApproval): the record says who let this version serve.
        **({"approval": JSON.object_at(APPROVAL.path)} if _approved_by_person(ctx, variant) else {}),
    }
    return ctx.invoke(state_id, ctx.record_fn, RecordRequest, payload, DEPLOYMENT_RECORD)


def _approved_by_person(ctx: PipelineContext, variant: str | None) -> bool:
    """The champion's and a canary's deployments come after WaitForApproval on a manual stage."""
    return ctx.settings.stage.approval == "manual" and variant != "challenger"


def roll_back(ctx: PipelineContext, done: sfn.IChainable) -> sfn.IChainable:
    """Point the endpoint at the config that served before, and wait until it serves it again: a rollback
    that does not take (the old model no longer starts) is a failure an operator must hear about."""
    endpoint = ctx.settings.endpoint_name
    update = sagemaker_call(
        ctx,
        "RollBack",
        "updateEndpoint",
        {"EndpointName": endpoint, "EndpointConfigName": JSON.string_at("$.previous.config_name")},
        [ctx.arn("endpoint", endpoint), ctx.arn("endpoint-config", f"{ctx.settings.job_prefix}-*")],
        result_path=JSON.DISCARD,
    )
    failed = endpoint_error(ctx, "RollBackFailed", "RollBackFailed").next(ctx.guard.on_failure)
    names = ("WaitForRollBack", "CheckRollBack", "RolledBackReady")
    return update.next(wait_for_endpoint(ctx, done, failed, names=names, config_path="$.previous.config_name"))


def delete_new_endpoint(ctx: PipelineContext) -> sfn.TaskStateBase:
    """A brand-new endpoint whose model failed its smoke test has nothing to roll back to: delete it, so the
    API answers 503 "not deployed yet" instead of serving a rejected model. Its config and model stay (free)."""
    endpoint = ctx.settings.endpoint_name
    return delete_endpoint(ctx, "DeleteNewEndpoint", endpoint)
