"""ValidateData's response: where the run's inputs now are. Train, Evaluate, Register, SmokeTest and
RecordDeployment read its fields from `$.validation` (cdk/pipeline/results.py)."""

from __future__ import annotations

from slipstream.documents.base import Document


class ValidationOutput(Document):
    train_uri: str
    test_uri: str
    behaviour_uri: str
    contract_uri: str
    baseline_uri: str
    report_uri: str
    data_sha256: str  # lineage: the same byte-for-byte hash the local runner records for this file
    # The data's s3:// URI as a model package's metadata may hold it (any key can be a valid name: see
    # lambdas/common/metadata.py); the exact URI is in the run's validation.json, under "source".
    data_label: str
    is_new_contract: bool
    rows: dict[str, int]
