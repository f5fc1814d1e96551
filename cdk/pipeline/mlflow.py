"""MLflow on AWS (docs/lineage.md#mlflow-on-aws): with `[stages.<stage>] mlflow_tracking_uri`, a step after
Register and RegisterRejected makes the package an MLflow model version with the local registry's tags, and
one after RecordDeployment gives it the `champion` alias. Without the setting there are no such states.

MLflow is a copy of the registry, not part of the deployment: a failure (the Lambda retries, then marks the
package `mlflow: failed`; or the Lambda itself fails) notifies "mlflow: failed" and the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from cdk.pipeline.common import LAMBDA_TRANSIENT, Guard
from cdk.pipeline.context import PipelineContext
from cdk.pipeline.payloads import check_payload
from cdk.pipeline.results import GATE, RESULTS, RUN_ID
from cdk.pipeline.training import card_sources
from slipstream.documents.mlflow import MlflowRequest

JSON = sfn.JsonPath
RESULT = "$.mlflow"
Notify = Callable[..., sfn.TaskStateBase]  # definition.notify (passed in: definition.py imports this module)


def mlflow_step(
    ctx: PipelineContext, state_id: str, action: str, *, source: str, staging: str, notify: Notify
) -> sfn.Chain | None:
    """`state_id` -> (failed: Notify<state_id>Failed) -> <state_id>Done, or None when MLflow is not configured.
    `source`: the JSONPath of the archive the package names."""
    if ctx.mlflow_fn is None:
        return None
    payload: dict[str, Any] = {
        "action": action,
        "run_id": JSON.string_at(RUN_ID),
        "model_package_arn": JSON.string_at("$.registered.arn"),
        "source": JSON.string_at(source),
        "lineage": card_sources(ctx),
        "gate": JSON.object_at(GATE.path),
        "staging": staging,
    }
    check_payload(state_id, MlflowRequest, payload, RESULTS)
    task = tasks.LambdaInvoke(
        ctx.scope,
        state_id,
        lambda_function=ctx.mlflow_fn,
        payload=sfn.TaskInput.from_object(payload),
        payload_response_only=True,
        retry_on_service_exceptions=False,
        result_path=RESULT,
    )
    done = sfn.Pass(ctx.scope, f"{state_id}Done")
    crashed = sfn.Pass(
        ctx.scope,
        f"{state_id}Crashed",
        result_path=RESULT,
        parameters={"status": "failed", "error": JSON.string_at("$.error.Cause")},
    )
    Guard(on_failure=crashed)(task, LAMBDA_TRANSIENT)
    failed = notify(
        ctx,
        f"Notify{state_id}Failed",
        "MLflow registration failed (the run goes on)",
        {
            "status": "mlflow: failed",
            "model_package": JSON.string_at("$.registered.arn"),
            "mlflow": JSON.object_at(RESULT),
        },
        done,  # a notification that fails does not fail the run either
    )
    check = sfn.Choice(ctx.scope, f"{state_id}Succeeded")
    check.when(sfn.Condition.string_equals(f"{RESULT}.status", "failed"), failed.next(done))
    check.otherwise(done)
    task.next(check)
    crashed.next(check)
    return sfn.Chain.custom(task, [done], done)
