"""QualityGate's request and its decision.

The decision is written by `slipstream.steps.gate.decide` (in the QualityGate Lambda, and in process by the
local runner) and read by the state machine's GatePassed Choice and notifications, by RecordDeployment's
request, by the model card, and by the local runtime's console, registry and run summary.
"""

from __future__ import annotations

from slipstream.documents.base import Document


class GateRequest(Document):
    run_id: str
    evaluation_uri: str  # s3://.../evaluation.json written by training/evaluate.py


class GateDecision(Document):
    passed: bool
    metric: str
    value: float | None
    threshold: float
    champion_value: float | None
    # Why it was rejected (every reason), or what it passed; written to the registry and the model card.
    reasons: list[str]
