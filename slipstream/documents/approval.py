"""Manual approval (`[stages.<stage>] approval = "manual"`, docs/approval.md): what waits, and what was decided.

- ApprovalRequest: WaitForApproval's payload to lambdas/approval_request (with the task token);
- PendingApproval: what that Lambda stores at `approvals/<run id>.json` (slipstream/layout.py approval_key) in the
  artifact bucket (SSE-KMS, the project key) and lambdas/approval_decision reads, lists and marks decided;
- DecisionBody: the body of `POST /approvals/{run_id}` (the approvals API);
- ApprovalDecision: the task's output (SendTaskSuccess), at `$.approval`: the Choice after the wait, ApproveModel,
  RejectByApprover and RecordDeployment read it. The approver is the caller's authenticated IAM ARN.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from slipstream.documents.base import Document
from slipstream.documents.gate import GateDecision

Decision = Literal["approve", "reject"]
# What SageMaker allows in CustomerMetadataProperties and ApprovalDescription keeps any text; the reason is free
# text, bounded so it fits ApprovalDescription (1024) with the approver's ARN and the time.
MAX_REASON = 500


class ApprovalRequest(Document):
    run_id: str = Field(min_length=1)
    execution: str = Field(min_length=1, description="The execution's id (its ARN).")
    task_token: str = Field(min_length=1, description="$$.Task.Token: SendTaskSuccess resumes the execution.")
    model_package_arn: str = Field(min_length=1)
    version: str = Field(min_length=1, description="The package's version number, as text.")
    gate: GateDecision
    evaluation_uri: str = Field(description="The evaluation the package's ModelQuality metrics point at.")
    timeout_seconds: int = Field(ge=1, description="WaitForApproval's TimeoutSeconds: the deadline.")


class ApprovalDecision(Document):
    decision: Decision
    approver: str = Field(min_length=1, description="The IAM ARN API Gateway authenticated (SigV4).")
    reason: str = Field(default="", max_length=MAX_REASON)
    decided_at: str = Field(description="ISO-8601 time, with its offset.")


class PendingApproval(Document):
    project: str
    stage: str
    run_id: str
    execution: str
    model_package_arn: str
    version: str
    gate: GateDecision
    evaluation_uri: str
    model_card: str = Field(description="Where the model card is: the package's SageMaker card, its evaluation.")
    requested_at: datetime
    deadline: datetime = Field(description="After it the task has timed out: the package is Rejected.")
    task_token: str
    status: Literal["pending", "approved", "rejected"] = "pending"
    decided: ApprovalDecision | None = None

    def expired(self, now: datetime) -> bool:
        return now >= self.deadline

    def summary(self, now: datetime) -> dict[str, object]:
        """What `GET /approvals` shows of it: everything but the task token (a bearer secret)."""
        listed = self.model_dump(mode="json", exclude={"task_token", "gate"})
        listed["gate"] = {"passed": self.gate.passed, "metric": self.gate.metric, "value": self.gate.value}
        listed["gate_figures"] = {"baseline": self.gate.baseline_figures, "champion": self.gate.champion_figures}
        listed["expired"] = self.status == "pending" and self.expired(now)
        return listed


class DecisionBody(Document):
    """`POST /approvals/{run_id}`. Who decides is never a field: it is the caller API Gateway authenticated."""

    decision: Decision
    reason: str = Field(default="", max_length=MAX_REASON)

    @model_validator(mode="after")
    def _reason_to_reject(self) -> DecisionBody:
        if self.decision == "reject" and not self.reason.strip():
            raise ValueError("a rejection needs a reason (`reason`: why this model must not serve)")
        return self
