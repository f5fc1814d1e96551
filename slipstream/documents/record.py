"""RecordDeployment's request (everything the deployment record and the model card need) and its answer."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from slipstream.documents.approval import ApprovalDecision
from slipstream.documents.base import Document
from slipstream.documents.gate import GateDecision


class CanaryStart(Document):
    """RecordDeployment of a canary: the champion stays, this version joins as the challenger with a share."""

    share: float = Field(gt=0, le=1)
    bake_minutes: int = Field(ge=1)


class RecordRequest(Document):
    run_id: str
    endpoint_name: str
    model_package_arn: str
    gate: GateDecision
    data_uri: str
    data_sha256: str
    evaluation_uri: str
    contract_uri: str
    baseline_uri: str
    report_uri: str
    canary: CanaryStart | None = None  # set: record the model as a canary beside the champion
    # `challenger` (gate.promote = "challenger"): the record keeps its champion and gains this version as the
    # challenger; a record that already has one is refused (one experiment at a time).
    variant: Literal["champion", "challenger"] = "champion"
    approval: ApprovalDecision | None = None  # `approval = "manual"`: who let it serve (WaitForApproval's output)


class RecordOutput(Document):
    uri: str  # the deployment record's s3:// URI
    version: str  # the model package version now serving
