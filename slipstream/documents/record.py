"""RecordDeployment's request (everything the deployment record and the model card need) and its answer."""

from __future__ import annotations

from typing import Literal

from slipstream.documents.base import Document
from slipstream.documents.gate import GateDecision


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
    # `challenger` (gate.promote = "challenger"): the record keeps its champion and gains this version as the
    # challenger; a record that already has one is refused (one experiment at a time).
    variant: Literal["champion", "challenger"] = "champion"


class RecordOutput(Document):
    uri: str  # the deployment record's s3:// URI
    version: str  # the model package version now serving
