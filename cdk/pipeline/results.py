"""Where each document lands in the execution's state, so states read the pipeline Lambdas' results by field
(`GATE.field("passed")` is `$.gate.passed`, checked against GateDecision when the app is synthesized)."""

from __future__ import annotations

from cdk.pipeline.payloads import Result
from slipstream.documents.approval import ApprovalDecision
from slipstream.documents.canary import CanaryCheckResult, CanaryRecordOutput
from slipstream.documents.experiment import ExperimentSlot
from slipstream.documents.gate import GateDecision
from slipstream.documents.promotion import PromotionRequest
from slipstream.documents.record import RecordOutput
from slipstream.documents.run import RunRequest
from slipstream.documents.smoke import SmokeResult
from slipstream.documents.validation import ValidationOutput

EXECUTION = Result("$", RunRequest)  # the execution input (StartPipeline's RunRequest)
PROMOTION = Result("$", PromotionRequest)  # the execution input of a promotion (cdk/pipeline/promotion.py)
VALIDATION = Result("$.validation", ValidationOutput)
GATE = Result("$.gate", GateDecision)
SMOKE = Result("$.smoke", SmokeResult)
DEPLOYMENT_RECORD = Result("$.deployment_record", RecordOutput)
CANARY_CHECK = Result("$.canary_check", CanaryCheckResult)
CANARY_RECORD = Result("$.canary_record", CanaryRecordOutput)
EXPERIMENT_SLOT = Result("$.experiment_slot", ExperimentSlot)  # gate.promote = "challenger" only
APPROVAL = Result("$.approval", ApprovalDecision)  # approval = "manual" only: WaitForApproval's decision

RESULTS = (
    EXECUTION,
    PROMOTION,
    VALIDATION,
    GATE,
    SMOKE,
    DEPLOYMENT_RECORD,
    CANARY_CHECK,
    CANARY_RECORD,
    EXPERIMENT_SLOT,
    APPROVAL,
)
RUN_ID = EXECUTION.field("run_id")
