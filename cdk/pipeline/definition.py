"""The whole training pipeline as one chain of states. Rendered in docs/pipeline.md.

ValidateData -> Train -> FindChampion -> Evaluate -> QualityGate -> RetainModel (copy to models/) -> Register ->
Deploy -> SmokeTest -> Approve -> RecordDeployment -> NotifySuccess. A challenger the gate rejects is registered
as Rejected and the champion keeps serving; a failed smoke test rejects the package and rolls the endpoint back
(or deletes a brand-new one); any error goes to NotifyFailure -> Fail, rejecting the package first once it
exists and has not passed its smoke test. With `gate.promote = "challenger"`, a passing model goes to its own
endpoint as the challenger once a champion serves (cdk/pipeline/challenger.py).
"""

from __future__ import annotations

from dataclasses import replace

from aws_cdk import Stack
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from cdk.pipeline import approval as approval
from cdk.pipeline import canary as canary
from cdk.pipeline import deploy as deploy
from cdk.pipeline import outcome as outcome
from cdk.pipeline import promotion as promotion
from cdk.pipeline import training as training
from cdk.pipeline import tuning as tuning
from cdk.pipeline.challenger import challenger_or_champion
from cdk.pipeline.common import SNS_TRANSIENT, Guard
from cdk.pipeline.context import PipelineContext
from cdk.pipeline.deploy import REGISTERED_MODEL_URI
from cdk.pipeline.evaluate import evaluate
from cdk.pipeline.mlflow import mlflow_step
from cdk.pipeline.payloads import check_definition
from cdk.pipeline.results import DEPLOYMENT_RECORD, GATE, PROMOTION, RESULTS, RUN_ID, SMOKE
from cdk.shared.settings import DeploySettings
from slipstream.promotion_config import trains

JSON = sfn.JsonPath


def notify(
    ctx: PipelineContext, state_id: str, subject: str, fields: dict, on_error: sfn.IChainable | None = None
) -> sfn.TaskStateBase:
    """Publish a JSON message; if publishing fails, go to `on_error` (NotifyFailure by default)."""
    return _publish(ctx.scope, ctx.settings, ctx.topic, state_id, subject, fields, on_error or ctx.guard.on_failure)


def _publish(
    scope: Stack,
    settings: DeploySettings,
    topic: sns.ITopic,
    state_id: str,
    subject: str,
    fields: dict,
    on_error: sfn.IChainable,
) -> sfn.TaskStateBase:
    message = {
        "project": settings.config.name,
        "stage": settings.stage_name,
        "run_id": JSON.string_at(RUN_ID),
        "execution": JSON.execution_id,
        **fields,
    }
    task = tasks.SnsPublish(
        scope,
        state_id,
        topic=topic,
        subject=f"[{settings.prefix}] {subject}",
        message=sfn.TaskInput.from_object(message),
        result_path=JSON.DISCARD,
    )
    task.add_retry(errors=SNS_TRANSIENT, max_attempts=3)
    task.add_catch(on_error, errors=["States.ALL"], result_path="$.error")
    return task


def failure_path(scope: Stack, settings: DeploySettings, topic: sns.ITopic) -> sfn.IChainable:
    """NotifyFailure -> Fail, where every Catch lands with the error in `$.error`. It needs no context, so the
    context's guard can point at it from the start."""
    failed = sfn.Fail(
        scope, "PipelineFailed", cause="A pipeline step failed; see the notification", error="PipelineFailed"
    )
    # If even the failure notification fails, still end in Fail (the execution history keeps the error).
    fields = {"status": "failed", "error": JSON.object_at("$.error")}
    return _publish(scope, settings, topic, "NotifyFailure", "pipeline failed", fields, on_error=failed).next(failed)


def build_definition(ctx: PipelineContext) -> sfn.IChainable:
    """The first state, chained to every other; any error ends at `ctx.guard.on_failure` (failure_path)."""
    evaluate_state = evaluate(ctx)
    gate = training.quality_gate(ctx)
    evaluate_state.next(gate)

    rejected = (
        _then_mlflow(
            deploy.register(ctx, "RegisterRejected", "Rejected"),  # ADR 0004: every evaluated model is registered
            mlflow_step(
                ctx,
                "MlflowRegisterRejected",
                "register",
                source="$.training.model_data_url",
                staging="none",
                notify=notify,
            ),
        )
        .next(
            notify(
                ctx,
                "NotifyChampionKept",
                "challenger rejected by the quality gate",
                {
                    "status": "champion kept",
                    "gate": JSON.object_at(GATE.path),
                    "model_package": JSON.string_at("$.registered.arn"),
                },
            )
        )
        .next(sfn.Succeed(ctx.scope, "ChampionKept"))
    )
    if ctx.settings.config.gate.promote == "challenger" and ctx.settings.stage.approval == "manual":
        raise ValueError(
            f'stage {ctx.settings.stage_name}: approval = "manual" does not cover gate.promote = "challenger" '
            'yet (the challenger\'s endpoint would get traffic unapproved); use promote = "champion" or "canary"'
        )
    deployed = after_register(ctx)  # shared by the trained and the promoted model
    registered = _then_mlflow(
        deploy.register(ctx, "Register", "PendingManualApproval"),
        mlflow_step(ctx, "MlflowRegister", "register", source=REGISTERED_MODEL_URI, staging="champion", notify=notify),
    )
    deployment: sfn.IChainable = deploy.retain_model(ctx).next(registered).next(deployed)
    if ctx.settings.config.gate.promote == "challenger":  # a passing model is tested beside the champion
        deployment = challenger_or_champion(ctx, deployment, notify)
    gate_choice = sfn.Choice(ctx.scope, "GatePassed")
    gate_choice.when(sfn.Condition.boolean_equals(GATE.field("passed"), True), deployment)
    gate_choice.otherwise(rejected)
    gate.next(gate_choice)

    training_path = (
        training.run_paths(ctx)
        .next(training.validate_data(ctx))
        .next(tuning.tune(ctx) if ctx.settings.config.tuning else training.train(ctx))
        .next(training.find_champion(ctx, evaluate_state))
    )
    definition = _entry(ctx, training_path, deployed)
    check_definition(definition, RESULTS)
    return definition


def _entry(ctx: PipelineContext, training_path: sfn.IChainable, deployed: sfn.IChainable) -> sfn.IChainable:
    """The first state chooses by the input: a PromotionRequest deploys another stage's package (when this stage
    has a source), a RunRequest trains (when this stage trains; StartPipeline is not triggered otherwise)."""
    settings = ctx.settings
    source = promotion.source_settings(settings)
    if source is None:
        return training_path
    choice = sfn.Choice(ctx.scope, "IsPromotion")
    choice.when(
        sfn.Condition.is_present(PROMOTION.field("model_package_arn")), promotion.promotion_path(ctx, source, deployed)
    )
    if trains(settings.stage_name, settings.stage):
        return choice.otherwise(training_path)
    refused = sfn.Fail(
        ctx.scope,
        "TrainingDisabled",
        error="TrainingDisabled",
        cause=f"Stage {settings.stage_name} does not train (it promotes from {source.stage_name}; set "
        f"[stages.{settings.stage_name}] retrain = true to train here): run `slipstream promote --to "
        f"{settings.stage_name}`",
    )
    return choice.otherwise(refused)


def after_register(ctx: PipelineContext) -> sfn.IChainable:
    """Everything after Register, for a trained and a promoted package alike: deploy, smoke test, approve and
    record, or reject and roll back. `$.registered` names the package.

    Between Register and the smoke test's verdict, a failure rejects the package before NotifyFailure:
    a model that never passed its smoke test is not left pending approval."""
    reject_failed = outcome.set_model_status(ctx, "RejectFailedDeployment", "Rejected").next(ctx.guard.on_failure)
    deploying = _with_guard(ctx, Guard(on_failure=reject_failed))
    name = sfn.Pass(ctx.scope, "NameDeployment", result_path="$.deploy", parameters={"config_name": ctx.name_of()})
    smoke = deploy.smoke_test(deploying)
    smoke_choice = sfn.Choice(ctx.scope, "SmokeTestPassed")
    smoke_choice.when(sfn.Condition.boolean_equals(SMOKE.field("passed"), True), _succeeded(ctx))
    smoke_choice.otherwise(outcome.set_model_status(ctx, "RejectModel", "Rejected").next(_undo(ctx)))
    smoke.next(smoke_choice)

    endpoint_failed = deploy.endpoint_error(ctx, "EndpointFailed", "EndpointFailed").next(reject_failed)
    waiting = deploy.wait_for_endpoint(deploying, smoke, endpoint_failed)
    go_live = deploy.create_or_update_endpoint(deploying, waiting)
    if ctx.settings.config.gate.promote == "canary":  # a canary beside the champion (cdk/pipeline/canary.py)
        go_live = canary.canary_or_first(deploying, go_live, notify)
    first: sfn.IChainable = name
    if ctx.settings.stage.approval == "manual":  # a person says yes first (cdk/pipeline/approval.py)
        first = approval.wait_for_approval(deploying, name, notify)
    name.next(deploy.create_model(deploying)).next(deploy.create_endpoint_config(deploying)).next(go_live)
    return first


def _then_mlflow(state: sfn.TaskStateBase, mlflow: sfn.Chain | None) -> sfn.TaskStateBase | sfn.Chain:
    """`state`, then the MLflow step when the stage has a tracking URI (cdk/pipeline/mlflow.py)."""
    return state if mlflow is None else state.next(mlflow)


def _succeeded(ctx: PipelineContext) -> sfn.IChainable:
    return (
        outcome.set_model_status(ctx, "ApproveModel", "Approved", _approved_details(ctx))
        .next(
            _then_mlflow(
                outcome.record_deployment(ctx),
                mlflow_step(
                    ctx, "MlflowChampion", "champion", source=REGISTERED_MODEL_URI, staging="champion", notify=notify
                ),
            )
        )
        .next(
            notify(
                ctx,
                "NotifySuccess",
                "new model deployed",
                {
                    "status": "deployed",
                    "endpoint": ctx.settings.endpoint_name,
                    "model_package": JSON.string_at("$.registered.arn"),
                    "version": JSON.string_at(DEPLOYMENT_RECORD.field("version")),
                    "gate": JSON.object_at(GATE.path),
                },
            )
        )
        .next(sfn.Succeed(ctx.scope, "Deployed"))
    )


def _approved_details(ctx: PipelineContext) -> dict | None:
    return approval.approved_details() if ctx.settings.stage.approval == "manual" else None


def _undo(ctx: PipelineContext) -> sfn.IChainable:
    """The smoke test failed: serve what served before, or nothing if the endpoint is brand new."""
    rolled_back = notify(
        ctx,
        "NotifyRolledBack",
        "smoke test failed, rolled back",
        {"status": "rolled back", "smoke_test": JSON.object_at(SMOKE.path)},
    ).next(sfn.Fail(ctx.scope, "RolledBack", error="SmokeTestFailed", cause="The new model failed its smoke test"))
    no_previous = (
        outcome.delete_new_endpoint(ctx)
        .next(
            notify(
                ctx,
                "NotifySmokeTestFailed",
                "smoke test failed on a new endpoint, endpoint deleted",
                {"status": "failed", "smoke_test": JSON.object_at(SMOKE.path)},
            )
        )
        .next(sfn.Fail(ctx.scope, "SmokeTestFailed", error="SmokeTestFailed", cause="No earlier model to roll back to"))
    )
    can_roll_back = sfn.Choice(ctx.scope, "CanRollBack")
    can_roll_back.when(sfn.Condition.is_present("$.previous.config_name"), outcome.roll_back(ctx, rolled_back))
    can_roll_back.otherwise(no_previous)
    return can_roll_back


def _with_guard(ctx: PipelineContext, guard: Guard) -> PipelineContext:
    return replace(ctx, guard=guard)
