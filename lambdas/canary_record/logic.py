"""CanaryRecord: the deployment record once the bake is over. Promoted: the canary's version is the champion
(on the champion endpoint, which now runs its config). Rolled back: the champion alone, as before the canary.
The predict Lambda stops routing to the canary endpoint as soon as it reads the new record."""

from __future__ import annotations

from typing import Any

from lambdas.common.s3uri import split_s3_uri
from slipstream.documents.canary import CanaryRecordOutput, CanaryRecordRequest
from slipstream.documents.deployment import DeploymentRecord


def conclude_canary(request: CanaryRecordRequest, *, s3: Any, deployment_uri: str) -> CanaryRecordOutput:
    bucket, key = split_s3_uri(deployment_uri)
    current = DeploymentRecord.model_validate_json(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    if current.challenger is None or current.challenger.run_id != request.run_id:
        # Only this run's canary is concluded: anything else means the record moved on under us.
        raise ValueError(f"the deployment record's challenger is not run {request.run_id}'s canary")
    record = current.canary_promoted() if request.outcome == "promoted" else current.canary_rolled_back()
    body = record.to_json().encode("utf-8")
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    champion = record.champion.version if record.champion else None
    return CanaryRecordOutput(uri=deployment_uri, champion_version=champion)
