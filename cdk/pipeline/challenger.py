"""`gate.promote = "challenger"`: a model that passed the gate goes to its own serverless endpoint as the
challenger, while the champion keeps serving (the experiment Lambda decides later, lambdas/experiment).

GatePassed -> ChampionServing? no: the champion's deployment (the first model is the champion). yes:
CheckExperiment (RecordDeployment reads the record) -> ExperimentRunning? yes: RegisterRefused (Rejected,
experiment=refused) -> NotifyChallengerRefused -> Fail(ExperimentRunning). no: RetainChallengerModel ->
RegisterChallenger (PendingManualApproval, experiment=challenger) -> the challenger endpoint (create or update)
-> wait -> SmokeTestChallenger -> RecordChallenger -> NotifyChallengerDeployed. A failed smoke test rejects
the package and deletes the challenger endpoint; the champion and its endpoint are never touched.

The package stays PendingManualApproval while it is tested: the champion is the newest Approved package
(FindChampion, and every reader since), so a challenger must not be Approved until it is promoted.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from aws_cdk import aws_stepfunctions as sfn

from cdk.pipeline import deploy
from cdk.pipeline.common import Guard
from cdk.pipeline.context import PipelineContext, delete_endpoint, sagemaker_call
from cdk.pipeline.outcome import record_deployment
from cdk.pipeline.results import EXPERIMENT_SLOT, GATE, RUN_ID, SMOKE
from slipstream.documents.experiment import ExperimentCheckRequest

JSON = sfn.JsonPath
PREFIX = "Challenger"
# CustomerMetadataProperties key naming the package's part in an experiment (challenger, refused, promoted,
# stopped, smoke test failed); the experiment Lambda writes the last two with the figures it decided on.
ROLE_KEY = "experiment"
WAIT_IDS = ("WaitForChallengerEndpoint", "CheckChallengerEndpoint", "ChallengerEndpointReady")


def challenger_endpoint(ctx: PipelineContext) -> str:
    name = ctx.settings.challenger_endpoint_name
    assert name, "gate.promote = 'challenger' always names a challenger endpoint (DeploySettings)"
    return name


def challenger_or_champion(ctx: PipelineContext, champion: sfn.IChainable, notify: Notify) -> sfn.IChainable:
    """What GatePassed leads to: the champion's deployment while there is no champion, else the challenger's."""
    check = ctx.invoke(
        "CheckExperiment",
        ctx.record_fn,
        ExperimentCheckRequest,
        {"run_id": JSON.string_at(RUN_ID), "check": "experiment"},
        EXPERIMENT_SLOT,
    )
    running = sfn.Choice(ctx.scope, "ExperimentRunning")
    running.when(sfn.Condition.boolean_equals(EXPERIMENT_SLOT.field("running"), True), _refused(ctx, notify))
    running.otherwise(_deploy_challenger(ctx, notify))
    check.next(running)
    serving = sfn.Choice(ctx.scope, "ChampionServing")
    serving.when(sfn.Condition.is_present("$.champion_search.packages[0]"), check)
    serving.otherwise(champion)
    return serving


def _refused(ctx: PipelineContext, notify: Notify) -> sfn.IChainable:
    """One experiment at a time: the new model is registered (ADR 0004), marked refused, and the run fails."""
    message = JSON.string_at(EXPERIMENT_SLOT.field("message"))
    failed = sfn.Fail(ctx.scope, "ChallengerRefused", error="ExperimentRunning", cause_path=message)
    return (
        deploy.register(ctx, "RegisterRefused", "Rejected", passed=True, metadata={ROLE_KEY: "refused"})
        .next(
            notify(
                ctx,
                "NotifyChallengerRefused",
                "challenger refused: an experiment is running",
                {
                    "status": "refused",
                    "error": {"Error": "ExperimentRunning", "Cause": message},
                    "running_challenger": JSON.string_at(EXPERIMENT_SLOT.field("version")),
                    "model_package": JSON.string_at("$.registered.arn"),
                    "gate": JSON.object_at(GATE.path),
                },
            )
        )
        .next(failed)
    )


def _deploy_challenger(ctx: PipelineContext, notify: Notify) -> sfn.IChainable:
    endpoint = challenger_endpoint(ctx)
    reject_failed = _mark(ctx, "RejectFailedChallenger", "Rejected", "deployment failed").next(ctx.guard.on_failure)
    deploying = replace(ctx, guard=Guard(on_failure=reject_failed))
    delete = delete_endpoint(deploying, "DeleteFailedChallengerEndpoint", endpoint)
    endpoint_failed = deploy.endpoint_error(ctx, "ChallengerEndpointFailed", "EndpointFailed").next(delete)
    delete.next(reject_failed)
    smoke = deploy.smoke_test(deploying, "SmokeTestChallenger", endpoint)
    passed = sfn.Choice(ctx.scope, "ChallengerSmokeTestPassed")
    passed.when(sfn.Condition.boolean_equals(SMOKE.field("passed"), True), _started(ctx, deploying, notify))
    passed.otherwise(_smoke_failed(ctx, notify))
    smoke.next(passed)
    waiting = deploy.wait_for_endpoint(deploying, smoke, endpoint_failed, names=WAIT_IDS, endpoint=endpoint)
    metadata = {ROLE_KEY: "challenger", "experiment_endpoint": endpoint}
    name = sfn.Pass(ctx.scope, "NameChallenger", result_path="$.deploy", parameters={"config_name": ctx.name_of()})
    return (
        deploy.retain_model(ctx, ("RetainChallengerModel", "RetainChallengerBaseline"))
        .next(deploy.register(ctx, "RegisterChallenger", "PendingManualApproval", metadata=metadata))
        .next(name)
        .next(deploy.create_model(deploying, "CreateChallengerModel"))
        .next(deploy.create_endpoint_config(deploying, "CreateChallengerEndpointConfig"))
        .next(deploy.create_or_update_endpoint(deploying, waiting, endpoint=endpoint, prefix=PREFIX))
    )


def _started(ctx: PipelineContext, deploying: PipelineContext, notify: Notify) -> sfn.IChainable:
    """The smoke test passed: record the challenger beside the champion, and say the experiment has begun."""
    record = record_deployment(deploying, "RecordChallenger", variant="challenger", endpoint=challenger_endpoint(ctx))
    return (
        record.next(
            notify(
                ctx,
                "NotifyChallengerDeployed",
                "challenger deployed, experiment started",
                {
                    "status": "challenger deployed",
                    "endpoint": challenger_endpoint(ctx),
                    "model_package": JSON.string_at("$.registered.arn"),
                    "version": JSON.string_at("$.registered.version"),
                    "weight": str(ctx.settings.config.challenger_weight),
                    "gate": JSON.object_at(GATE.path),
                },
            )
        )
    ).next(sfn.Succeed(ctx.scope, "ChallengerDeployed"))


def _smoke_failed(ctx: PipelineContext, notify: Notify) -> sfn.IChainable:
    """The challenger failed its smoke test: nothing else serves from its endpoint, so delete it."""
    endpoint = challenger_endpoint(ctx)
    delete = delete_endpoint(ctx, "DeleteChallengerEndpoint", endpoint)
    failed = sfn.Fail(
        ctx.scope, "ChallengerSmokeTestFailed", error="SmokeTestFailed", cause="The challenger failed its smoke test"
    )
    notice = notify(
        ctx,
        "NotifyChallengerSmokeTestFailed",
        "challenger failed its smoke test, its endpoint deleted",
        {"status": "failed", "endpoint": endpoint, "smoke_test": JSON.object_at(SMOKE.path)},
    )
    return _mark(ctx, "RejectChallenger", "Rejected", "smoke test failed").next(delete).next(notice).next(failed)


def _mark(ctx: PipelineContext, state_id: str, status: str, role: str) -> sfn.TaskStateBase:
    group = ctx.settings.model_package_group
    return sagemaker_call(
        ctx,
        state_id,
        "updateModelPackage",
        {
            "ModelPackageArn": JSON.string_at("$.registered.arn"),
            "ModelApprovalStatus": status,
            "CustomerMetadataProperties": {ROLE_KEY: role},
        },
        [ctx.arn("model-package", f"{group}/*")],
        result_path=JSON.DISCARD,
    )


class Notify(Protocol):  # definition.notify, passed in: this module stays below definition.py
    def __call__(
        self, ctx: PipelineContext, state_id: str, subject: str, fields: dict, on_error: sfn.IChainable | None = None
    ) -> sfn.TaskStateBase: ...
