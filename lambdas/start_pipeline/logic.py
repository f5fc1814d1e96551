"""StartPipeline: turn "new data landed", "the retraining schedule fired" or "a drift/quality alarm fired" into
at most one named execution.

The execution is named by the run id, and the run id is derived from the data's ETag (its content hash for
ordinary uploads), whatever the trigger. Step Functions refuses a second execution with the same name (for 90
days), so the same data is trained once: dropped twice under any key, or found again by the schedule or an
alarm, it is answered "already trained on". An alarm also waits out the cooldown: no run while any run started
within `[retraining] cooldown_hours`. A deliberate retrain on the same data is `cloud_run --force`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from slipstream.documents.run import (
    AlarmFired,
    DataLocation,
    ObjectCreated,
    RunRequest,
    Scheduled,
    StartResult,
)
from slipstream.steps.run_ids import run_id_for_new_data

ALARM_EVENT = "CloudWatch Alarm State Change"
ALREADY_TRAINED = "this data was already trained on (no new data since)"


def run_for_new_object(event: ObjectCreated) -> RunRequest:
    location = DataLocation(bucket=event.detail.bucket["name"], key=event.detail.object.key)
    return RunRequest(run_id=run_id_for_new_data(event.detail.object.etag), data=location)


def run_for_newest_data(*, s3: Any, bucket: str, prefix: str) -> RunRequest | None:
    """The newest object under the data prefix, named as the new-data trigger named it."""
    newest = None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if not item["Key"].endswith("/") and (newest is None or item["LastModified"] > newest["LastModified"]):
                newest = item
    if newest is None:
        return None
    return RunRequest(run_id=run_id_for_new_data(newest["ETag"]), data=DataLocation(bucket=bucket, key=newest["Key"]))


def recent_run(sfn: Any, state_machine_arn: str, since: datetime) -> dict[str, Any] | None:
    """The latest execution if it started at or after `since` (ListExecutions lists the newest first)."""
    executions = sfn.list_executions(stateMachineArn=state_machine_arn, maxResults=1).get("executions", [])
    if executions and executions[0]["startDate"] >= since:
        return dict(executions[0])
    return None


def cooldown_refusal(event: AlarmFired, *, sfn: Any, state_machine_arn: str, cooldown_hours: int | None) -> str | None:
    """Why an alarm must not start a run now, or None when it may."""
    alarm = event.detail.alarm_name
    if cooldown_hours is None:
        return f"alarm {alarm}: retraining on alarms is off ([retraining] on is empty)"
    if event.detail.state.value != "ALARM":
        return f"alarm {alarm} is {event.detail.state.value}, not ALARM"
    recent = recent_run(sfn, state_machine_arn, event.time - timedelta(hours=cooldown_hours))
    if recent is not None:
        started = recent["startDate"].isoformat(timespec="minutes")
        return f"alarm {alarm}: run {recent['name']} started at {started}, within the {cooldown_hours} h cooldown"
    return None


def start(
    event: dict[str, Any],
    *,
    s3: Any,
    sfn: Any,
    state_machine_arn: str,
    bucket: str,
    prefix: str,
    cooldown_hours: int | None = None,
) -> StartResult:
    """`cooldown_hours`: set when the stage retrains on alarms (None: alarm events start nothing)."""
    kind = event.get("detail-type")
    if kind == ALARM_EVENT:
        alarm = AlarmFired.model_validate(event)
        refusal = cooldown_refusal(alarm, sfn=sfn, state_machine_arn=state_machine_arn, cooldown_hours=cooldown_hours)
        if refusal:
            return StartResult(run_id=None, started=False, reason=refusal)
        newest = run_for_newest_data(s3=s3, bucket=bucket, prefix=prefix)
        result = start_run(sfn, state_machine_arn, newest, f"s3://{bucket}/{prefix}")
        return result.model_copy(update={"reason": f"alarm {alarm.detail.alarm_name}: {result.reason}"})
    if kind == "Scheduled Event":
        Scheduled.model_validate(event)
        request = run_for_newest_data(s3=s3, bucket=bucket, prefix=prefix)
    else:
        request = run_for_new_object(ObjectCreated.model_validate(event))
    return start_run(sfn, state_machine_arn, request, f"s3://{bucket}/{prefix}")


def start_run(sfn: Any, state_machine_arn: str, request: RunRequest | None, where: str) -> StartResult:
    if request is None:
        return StartResult(run_id=None, started=False, reason=f"no data under {where} yet")
    try:
        sfn.start_execution(
            stateMachineArn=state_machine_arn, name=request.run_id, input=json.dumps(request.model_dump(mode="json"))
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        return StartResult(run_id=request.run_id, started=False, reason=ALREADY_TRAINED)
    data = request.data
    return StartResult(run_id=request.run_id, started=True, reason=f"training on s3://{data.bucket}/{data.key}")
