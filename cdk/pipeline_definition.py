"""The whole training pipeline as one chain of states (issue 4, point 3). Rendered in docs/pipeline.md.

ValidateData -> Train -> FindChampion -> Evaluate -> QualityGate -> Register -> Deploy -> SmokeTest ->
Approve -> NotifySuccess; a rejected challenger leaves the champion serving; a failed smoke test rolls the
endpoint back; any error in any task goes to NotifyFailure -> Fail.
"""

from __future__ import annotations

from dataclasses import replace

from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from cdk import pipeline_deploy as deploy
from cdk import pipeline_training as training
from cdk.pipeline_common import SNS_TRANSIENT, Guard
from cdk.pipeline_context import PipelineContext
from cdk.pipeline_evaluate import evaluate

JSON = sfn.JsonPath


def notify(
    ctx: PipelineContext, state_id: str, subject: str, fields: dict, on_error: sfn.IChainable | None = None
) -> sfn.TaskStateBase:
    """Publish a JSON message; if publishing fails, go to `on_error` (NotifyFailure by default)."""
    message = {
        "project": ctx.settings.config.name,
        "stage": ctx.settings.stage_name,
        "run_id": JSON.string_at("$.run_id"),
        "execution": JSON.execution_id,
        **fields,
    }
    task = tasks.SnsPublish(
        ctx.scope,
        state_id,
        topic=ctx.topic,
        subject=f"[{ctx.settings.prefix}] {subject}",
        message=sfn.TaskInput.from_object(message),
        result_path=JSON.DISCARD,
    )
    task.add_retry(errors=SNS_TRANSIENT, max_attempts=3)
    task.add_catch(on_error or ctx.guard.on_failure, errors=["States.ALL"], result_path="$.error")
    return task


def failure_path(ctx: PipelineContext) -> sfn.IChainable:
    """NotifyFailure -> Fail. Every Catch lands here with the error in `$.error`."""
    failed = sfn.Fail(
        ctx.scope, "PipelineFailed", cause="A pipeline step failed; see the notification", error="PipelineFailed"
    )
    # If even the failure notification fails, still end in Fail (the execution history keeps the error).
    return notify(
        ctx,
        "NotifyFailure",
        "pipeline failed",
        {"status": "failed", "error": JSON.object_at("$.error")},
        on_error=failed,
    ).next(failed)


def build_definition(ctx_without_guard: PipelineContext) -> sfn.IChainable:
    """The first state, chained to every other; `ctx.guard` is filled in here, once NotifyFailure exists."""
    failure = failure_path(ctx_without_guard)
    ctx = _with_guard(ctx_without_guard, Guard(on_failure=failure))

    evaluate_state = evaluate(ctx)
    gate = training.quality_gate(ctx)
    evaluate_state.next(gate)

    rejected = notify(
        ctx,
        "NotifyChampionKept",
        "challenger rejected by the quality gate",
        {"status": "champion kept", "gate": JSON.object_at("$.gate")},
    ).next(sfn.Succeed(ctx.scope, "ChampionKept"))
    deployment = _deployment(ctx)
    gate_choice = sfn.Choice(ctx.scope, "GatePassed")
    gate_choice.when(sfn.Condition.boolean_equals("$.gate.passed", True), deployment)
    gate_choice.otherwise(rejected)
    gate.next(gate_choice)

    return (
        training.run_paths(ctx)
        .next(training.validate_data(ctx))
        .next(training.train(ctx))
        .next(training.find_champion(ctx, evaluate_state))
    )


def _deployment(ctx: PipelineContext) -> sfn.IChainable:
    name = sfn.Pass(ctx.scope, "NameDeployment", result_path="$.deploy", parameters={"config_name": ctx.name_of()})
    succeeded = (
        deploy.set_model_status(ctx, "ApproveModel", "Approved")
        .next(
            notify(
                ctx,
                "NotifySuccess",
                "new model deployed",
                {
                    "status": "deployed",
                    "endpoint": ctx.settings.endpoint_name,
                    "model_package": JSON.string_at("$.registered.arn"),
                    "gate": JSON.object_at("$.gate"),
                },
            )
        )
        .next(sfn.Succeed(ctx.scope, "Deployed"))
    )
    rolled_back = (
        deploy.roll_back(ctx)
        .next(
            notify(
                ctx,
                "NotifyRolledBack",
                "smoke test failed, rolled back",
                {"status": "rolled back", "smoke_test": JSON.object_at("$.smoke")},
            )
        )
        .next(sfn.Fail(ctx.scope, "RolledBack", error="SmokeTestFailed", cause="The new model failed its smoke test"))
    )
    no_previous = notify(
        ctx,
        "NotifySmokeTestFailed",
        "smoke test failed on a new endpoint",
        {"status": "failed", "smoke_test": JSON.object_at("$.smoke")},
    ).next(sfn.Fail(ctx.scope, "SmokeTestFailed", error="SmokeTestFailed", cause="No earlier model to roll back to"))
    can_roll_back = sfn.Choice(ctx.scope, "CanRollBack")
    can_roll_back.when(sfn.Condition.is_present("$.previous.config_name"), rolled_back)
    can_roll_back.otherwise(no_previous)
    smoke = deploy.smoke_test(ctx)
    smoke_choice = sfn.Choice(ctx.scope, "SmokeTestPassed")
    smoke_choice.when(sfn.Condition.boolean_equals("$.smoke.passed", True), succeeded)
    smoke_choice.otherwise(deploy.set_model_status(ctx, "RejectModel", "Rejected").next(can_roll_back))
    smoke.next(smoke_choice)

    endpoint_failed = sfn.Pass(
        ctx.scope,
        "EndpointFailed",
        result_path="$.error",
        parameters={
            "Error": "EndpointFailed",
            "Cause": JSON.format(
                "endpoint status {} on config {}",
                JSON.string_at("$.endpoint.status"),
                JSON.string_at("$.endpoint.config_name"),
            ),
        },
    )
    endpoint_failed.next(ctx.guard.on_failure)
    waiting = deploy.wait_for_endpoint(ctx, smoke, endpoint_failed)
    return (
        deploy.register(ctx)
        .next(name)
        .next(deploy.create_model(ctx))
        .next(deploy.create_endpoint_config(ctx))
        .next(deploy.create_or_update_endpoint(ctx, waiting))
    )


def _with_guard(ctx: PipelineContext, guard: Guard) -> PipelineContext:
    return replace(ctx, guard=guard)
