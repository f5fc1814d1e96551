"""StartPipeline: turn "new data landed" or "the retraining schedule fired" into one named execution.

The execution is named by the run id, and the run id is derived from the data's ETag (its content hash for
ordinary uploads). Step Functions refuses a second execution with the same name (for 90 days), so the same
data dropped twice, under any key, is trained once. Scheduled runs add the date: one deliberate retrain
per day on the newest data.
"""

from __future__ import annotations

import json
from typing import Any

from slipstream.documents.run import DataLocation, ObjectCreated, RunRequest, Scheduled, StartResult
from slipstream.steps.run_ids import run_id_for_new_data, run_id_for_schedule


def run_for_new_object(event: ObjectCreated) -> RunRequest:
    location = DataLocation(bucket=event.detail.bucket["name"], key=event.detail.object.key)
    return RunRequest(run_id=run_id_for_new_data(event.detail.object.etag), data=location)


def run_for_schedule(event: Scheduled, *, s3: Any, bucket: str, prefix: str) -> RunRequest | None:
    newest = None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if not item["Key"].endswith("/") and (newest is None or item["LastModified"] > newest["LastModified"]):
                newest = item
    if newest is None:
        return None
    run_id = run_id_for_schedule(event.time, newest["ETag"])
    return RunRequest(run_id=run_id, data=DataLocation(bucket=bucket, key=newest["Key"]))


def start(event: dict[str, Any], *, s3: Any, sfn: Any, state_machine_arn: str, bucket: str, prefix: str) -> StartResult:
    if event.get("detail-type") == "Scheduled Event":
        request = run_for_schedule(Scheduled.model_validate(event), s3=s3, bucket=bucket, prefix=prefix)
    else:
        request = run_for_new_object(ObjectCreated.model_validate(event))
    if request is None:
        return StartResult(run_id=None, started=False, reason=f"no data under s3://{bucket}/{prefix} yet")
    try:
        sfn.start_execution(
            stateMachineArn=state_machine_arn, name=request.run_id, input=json.dumps(request.model_dump(mode="json"))
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        return StartResult(run_id=request.run_id, started=False, reason="this data was already trained on")
    return StartResult(run_id=request.run_id, started=True, reason=f"training on s3://{bucket}/{request.data.key}")
