"""RecordDeployment on AWS: after the smoke test passed and the package was approved, write the deployment
record (slipstream/documents/deployment.py) that the predict Lambda routes by and the drift Lambda finds
baselines with: the document `slipstream serve` writes from the registry aliases. A champion deployment
writes `challenger: null`; a canary (`request.canary`) keeps the champion the record names and adds the new
version as the challenger with its share (CanaryRecord concludes it after the bake); `gate.promote =
"challenger"` (`request.variant`) keeps the champion and adds the passing model as the challenger on its own
endpoint (experiment.py). Only the success path
calls this: a rejected, rolled-back or failed deployment leaves the previous record (the model still serving).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from lambdas.common.s3uri import split_s3_uri
from lambdas.record_deployment.experiment import read_record, with_challenger
from slipstream.config import Config
from slipstream.documents.deployment import ApprovalNote, CanaryRecord, DeploymentRecord, PromotedFrom, VariantRecord
from slipstream.documents.record import CanaryStart, RecordOutput, RecordRequest
from slipstream.model_card import importance_of, render_model_card


def record_deployment(
    request: RecordRequest, config: Config, *, s3: Any, sagemaker: Any, deployment_uri: str
) -> RecordOutput:
    package = sagemaker.describe_model_package(ModelPackageName=request.model_package_arn)
    variant = champion_record(request, config, package=package, documents=_documents(s3, request))
    if request.variant == "challenger":
        record = with_challenger(read_record(s3, deployment_uri), variant)
    else:
        record = DeploymentRecord(champion=variant, challenger=None)
    bucket, key = split_s3_uri(deployment_uri)
    if request.canary is not None:
        record = _with_canary(_read_record(s3, bucket, key), variant, request.canary)
    s3.put_object(Bucket=bucket, Key=key, Body=record.to_json().encode("utf-8"), ContentType="application/json")
    return RecordOutput(uri=deployment_uri, version=variant.version)


def champion_record(
    request: RecordRequest, config: Config, *, package: dict[str, Any], documents: dict[str, Any]
) -> VariantRecord:
    """A variant's entry (the champion's or a challenger's): what `/model` shows and drift needs."""
    evaluation = documents["evaluation"]
    # The commit the stack was deployed from, which Register put on the package (docs/lineage.md).
    commit = (package.get("MetadataProperties") or {}).get("CommitId")
    # No ARNs: GET /model shows the card to API callers, and an ARN names the AWS account.
    lineage = {
        "data.source": request.data_uri,
        "data.sha256": request.data_sha256,
        "slipstream.run_id": request.run_id,
        "gate.decision": "passed",
        **({"git.commit": commit} if commit else {}),
    }
    card = render_model_card(
        config,
        evaluation=evaluation,
        decision=request.gate,
        contract=documents["contract"],
        lineage=lineage,
        report=documents["report"],
    )
    return VariantRecord(
        endpoint=request.endpoint_name,
        version=str(package["ModelPackageVersion"]),
        gate="passed",
        metrics={k: float(v) for k, v in (evaluation.get("metrics") or {}).items() if _is_number(v)},
        registered_at=_iso(package["CreationTime"]),
        data_sha256=request.data_sha256,
        git_commit=commit,
        model_card=card,
        importance=importance_of(evaluation),
        run_id=request.run_id,
        baseline_uri=request.baseline_uri,
        deployed_at=datetime.now(UTC).isoformat(),
        approval=_approval(request),
        promoted_from=_promoted_from(package),
    )


def _promoted_from(package: dict[str, Any]) -> PromotedFrom | None:
    """RegisterPromoted's metadata (cdk/pipeline/promotion.py): the source stage and version, never its ARN."""
    metadata = package.get("CustomerMetadataProperties") or {}
    stage, version = metadata.get("promoted_from_stage"), metadata.get("promoted_from_version")
    return PromotedFrom(stage=stage, version=version) if stage and version else None


def _approval(request: RecordRequest) -> ApprovalNote | None:
    decided = request.approval
    return ApprovalNote.from_arn(decided.approver, decided.decided_at, decided.reason) if decided else None


def _read_record(s3: Any, bucket: str, key: str) -> DeploymentRecord:
    return DeploymentRecord.model_validate_json(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _with_canary(current: DeploymentRecord, canary: VariantRecord, start: CanaryStart) -> DeploymentRecord:
    if current.champion is None:
        raise ValueError("a canary needs a champion in the deployment record to serve beside")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    state = CanaryRecord(share=start.share, bake_minutes=start.bake_minutes, started_at=started)
    return DeploymentRecord(champion=current.champion, challenger=canary, canary=state)


def _documents(s3: Any, request: RecordRequest) -> dict[str, Any]:
    uris = {"evaluation": request.evaluation_uri, "contract": request.contract_uri, "report": request.report_uri}
    return {name: _read_json(s3, uri) for name, uri in uris.items()}


def _read_json(s3: Any, uri: str) -> Any:
    bucket, key = split_s3_uri(uri)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _iso(value: Any) -> str:
    """boto3 gives a datetime; the local record writes ISO-8601 with the offset."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
