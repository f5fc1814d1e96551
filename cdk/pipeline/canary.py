"""The canary branch (`gate.promote = "canary"`, issue 12 point 7), beside the champion deployment.

With a champion serving, a passing model is deployed to the challenger endpoint and smoke-tested there, then
recorded as a canary (the predict Lambda routes `[canary] share` of callers to it) and baked: every
`check_minutes` the CanaryCheck Lambda reads the canary's alarms and applies the canary rule (slipstream/canary.py).
- promote (the bake ended clean): the champion endpoint takes the canary's endpoint config, the package is
  approved (the champion is the newest Approved package), the record names it champion, the canary endpoint goes.
- roll back (an alarm fired): the record is the champion's alone again, the canary endpoint goes, the package is
  rejected with the reason, and the execution fails (a rollback is worth a page, as a failed smoke test is).
Without a champion (the first model) there is nothing to compare a canary with: the normal deployment runs.
The endpoint goes only after the predict Lambda's record cache (60 s) has seen the new record.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn

from cdk.pipeline import outcome
from cdk.pipeline.canary_functions import CanaryFunctions
from cdk.pipeline.context import PipelineContext, delete_endpoint, sagemaker_call
from cdk.pipeline.deploy import endpoint_error, wait_for_endpoint
from cdk.pipeline.results import CANARY_CHECK, CANARY_RECORD, RUN_ID, SMOKE, VALIDATION
from slipstream.documents.canary import CanaryCheckRequest, CanaryRecordRequest
from slipstream.documents.smoke import SmokeRequest

JSON = sfn.JsonPath
Notify = Callable[[PipelineContext, str, str, dict], sfn.TaskStateBase]
DRAIN = Duration.seconds(90)  # the predict Lambda re-reads the deployment record every 60 s (DEPLOYMENT_TTL_SECONDS)


def canary_or_first(ctx: PipelineContext, first: sfn.IChainable, notify: Notify) -> sfn.IChainable:
    """After CreateEndpointConfig: a canary when a champion serves, else `first` (the champion deployment)."""
    canary = ctx.canary
    if canary is None:
        raise ValueError('gate.promote = "canary" needs the canary functions in the pipeline context')
    serving = sfn.Choice(ctx.scope, "ChampionServing")
    serving.when(sfn.Condition.is_present("$.champion.package_arn"), _go_live(ctx, canary, notify))
    serving.otherwise(first)
    return serving


def _go_live(ctx: PipelineContext, canary: CanaryFunctions, notify: Notify) -> sfn.IChainable:
    endpoint = canary.endpoint
    arns = [ctx.arn("endpoint", endpoint), ctx.arn("endpoint-config", f"{ctx.settings.job_prefix}-*")]
    find = sagemaker_call(
        ctx,
        "FindCanaryEndpoint",
        "listEndpoints",
        {"NameContains": endpoint},
        ["*"],  # ListEndpoints supports no resource-level permissions.
        result_selector={"names": JSON.list_at(f"$.Endpoints[?(@.EndpointName == '{endpoint}')].EndpointName")},
        result_path="$.canary_endpoint_search",
    )
    target = {"EndpointName": endpoint, "EndpointConfigName": ctx.name_of()}
    update = sagemaker_call(ctx, "UpdateCanaryEndpoint", "updateEndpoint", target, arns, result_path=JSON.DISCARD)
    create = sagemaker_call(ctx, "CreateCanaryEndpoint", "createEndpoint", target, arns, result_path=JSON.DISCARD)
    exists = sfn.Choice(ctx.scope, "CanaryEndpointExists")
    exists.when(sfn.Condition.is_present("$.canary_endpoint_search.names[0]"), update)
    exists.otherwise(create)
    failed = endpoint_error(ctx, "CanaryEndpointFailed", "CanaryEndpointFailed").next(ctx.guard.on_failure)
    names = ("WaitForCanary", "CheckCanaryEndpoint", "CanaryEndpointReady")
    exists.afterwards().next(
        wait_for_endpoint(ctx, _smoke(ctx, canary, notify), failed, names=names, endpoint=endpoint)
    )
    return find.next(exists)


def _smoke(ctx: PipelineContext, canary: CanaryFunctions, notify: Notify) -> sfn.IChainable:
    payload = {
        "run_id": JSON.string_at(RUN_ID),
        "endpoint_name": canary.endpoint,
        "contract_uri": JSON.string_at(VALIDATION.field("contract_uri")),
        "baseline_uri": JSON.string_at(VALIDATION.field("baseline_uri")),
        "via": "endpoint",  # the API sends the canary its share only once RecordCanary has run
        "model_version": JSON.string_at("$.registered.version"),
    }
    smoke = ctx.invoke("SmokeTestCanary", ctx.smoke_fn, SmokeRequest, payload, SMOKE)
    failed = (
        outcome.set_model_status(ctx, "RejectCanaryModel", "Rejected")
        .next(_delete_canary(ctx, canary, "DeleteFailedCanary"))
        .next(
            notify(
                ctx,
                "NotifyCanarySmokeTestFailed",
                "smoke test failed on the canary, canary endpoint deleted",
                {"status": "champion kept", "smoke_test": JSON.object_at(SMOKE.path)},
            )
        )
        .next(
            sfn.Fail(
                ctx.scope, "CanarySmokeTestFailed", error="SmokeTestFailed", cause="The canary failed its smoke test"
            )
        )
    )
    passed = sfn.Choice(ctx.scope, "CanarySmokeTestPassed")
    passed.when(sfn.Condition.boolean_equals(SMOKE.field("passed"), True), _bake(ctx, canary, notify))
    passed.otherwise(failed)
    return smoke.next(passed)


def _bake(ctx: PipelineContext, canary: CanaryFunctions, notify: Notify) -> sfn.IChainable:
    settings = ctx.settings.config.canary
    live = notify(
        ctx,
        "NotifyCanaryLive",
        f"canary live for {settings.share:.0%} of callers",
        {
            "status": "canary baking",
            "endpoint": canary.endpoint,
            "share": settings.share,
            "bake_minutes": settings.bake_minutes,
            "model_package": JSON.string_at("$.registered.arn"),
        },
    )
    start = sfn.Pass(ctx.scope, "StartBake", result_path=CANARY_CHECK.path, parameters={"checks": 0})
    wait = sfn.Wait(ctx.scope, "Bake", time=sfn.WaitTime.duration(Duration.minutes(settings.check_minutes)))
    payload = {
        "alarms": {kind: alarm.alarm_name for kind, alarm in canary.alarms.items()},
        "checks": JSON.number_at(CANARY_CHECK.field("checks")),
        "check_minutes": settings.check_minutes,
        "bake_minutes": settings.bake_minutes,
    }
    check = ctx.invoke("CheckCanary", canary.check.function, CanaryCheckRequest, payload, CANARY_CHECK)
    verdict = sfn.Choice(ctx.scope, "BakeVerdict")
    verdict.when(
        sfn.Condition.string_equals(CANARY_CHECK.field("action"), "roll_back"), _roll_back(ctx, canary, notify)
    )
    verdict.when(sfn.Condition.string_equals(CANARY_CHECK.field("action"), "promote"), _promote(ctx, canary, notify))
    verdict.otherwise(wait)
    record = outcome.record_deployment(
        ctx, "RecordCanary", canary={"share": settings.share, "bake_minutes": settings.bake_minutes}
    )
    return record.next(live).next(start).next(wait).next(check).next(verdict)


def _promote(ctx: PipelineContext, canary: CanaryFunctions, notify: Notify) -> sfn.IChainable:
    champion = ctx.settings.endpoint_name
    take_config = sagemaker_call(
        ctx,
        "PromoteCanary",
        "updateEndpoint",
        {"EndpointName": champion, "EndpointConfigName": ctx.name_of()},
        [ctx.arn("endpoint", champion), ctx.arn("endpoint-config", f"{ctx.settings.job_prefix}-*")],
        result_path=JSON.DISCARD,
    )
    promoted = (
        outcome.set_model_status(ctx, "ApproveCanary", "Approved")
        .next(_conclude(ctx, canary, "RecordPromotion", "promoted"))
        .next(sfn.Wait(ctx.scope, "DrainPromotedCanary", time=sfn.WaitTime.duration(DRAIN)))
        .next(_delete_canary(ctx, canary, "RetireCanaryEndpoint"))
        .next(
            notify(
                ctx,
                "NotifyCanaryPromoted",
                "canary promoted to champion",
                {
                    "status": "deployed",
                    "endpoint": champion,
                    "model_package": JSON.string_at("$.registered.arn"),
                    "reason": JSON.string_at(CANARY_CHECK.field("reason")),
                    "version": JSON.string_at(CANARY_RECORD.field("champion_version")),
                },
            )
        )
        .next(sfn.Succeed(ctx.scope, "CanaryPromoted"))
    )
    failed = endpoint_error(ctx, "PromotionFailed", "PromotionFailed").next(ctx.guard.on_failure)
    names = ("WaitForPromotion", "CheckPromotion", "PromotionReady")
    return take_config.next(wait_for_endpoint(ctx, promoted, failed, names=names))


def _roll_back(ctx: PipelineContext, canary: CanaryFunctions, notify: Notify) -> sfn.IChainable:
    group = ctx.settings.model_package_group
    reject = sagemaker_call(
        ctx,
        "RejectRolledBackCanary",
        "updateModelPackage",
        {
            "ModelPackageArn": JSON.string_at("$.registered.arn"),
            "ModelApprovalStatus": "Rejected",
            "ApprovalDescription": JSON.format("Canary rolled back: {}", JSON.string_at(CANARY_CHECK.field("reason"))),
        },
        [ctx.arn("model-package", f"{group}/*")],
        result_path=JSON.DISCARD,
    )
    return (
        _conclude(ctx, canary, "RecordRollBack", "rolled_back")
        .next(sfn.Wait(ctx.scope, "DrainRolledBackCanary", time=sfn.WaitTime.duration(DRAIN)))
        .next(_delete_canary(ctx, canary, "DeleteRolledBackCanary"))
        .next(reject)
        .next(
            notify(
                ctx,
                "NotifyCanaryRolledBack",
                "canary rolled back: an alarm fired during the bake",
                {
                    "status": "rolled back",
                    "reason": JSON.string_at(CANARY_CHECK.field("reason")),
                    "alarms": JSON.object_at(CANARY_CHECK.field("states")),
                    "model_package": JSON.string_at("$.registered.arn"),
                },
            )
        )
        .next(
            sfn.Fail(
                ctx.scope, "CanaryRolledBack", error="CanaryRolledBack", cause="A canary alarm fired during the bake"
            )
        )
    )


def _conclude(ctx: PipelineContext, canary: CanaryFunctions, state_id: str, result: str) -> sfn.TaskStateBase:
    payload = {
        "outcome": result,
        "run_id": JSON.string_at(RUN_ID),
        "reason": JSON.string_at(CANARY_CHECK.field("reason")),
    }
    return ctx.invoke(state_id, canary.record.function, CanaryRecordRequest, payload, CANARY_RECORD)


def _delete_canary(ctx: PipelineContext, canary: CanaryFunctions, state_id: str) -> sfn.TaskStateBase:
    """Its config and model stay (free, and the champion endpoint may run the config now)."""
    return delete_endpoint(ctx, state_id, canary.endpoint)
