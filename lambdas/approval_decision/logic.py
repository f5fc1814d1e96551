"""The approvals API's rules: list what waits, and decide one run's approval for the caller API Gateway
authenticated. Every refusal is an ApprovalProblem (an HTTP status and a message naming what is wrong); the
handler turns it into RFC 9457 problem details."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from slipstream.documents.approval import ApprovalDecision, DecisionBody, PendingApproval
from slipstream.layout import APPROVALS_PREFIX, approval_key

RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")  # an execution name (StartPipeline's run ids)
# SendTaskSuccess on a token no task waits for any more: the execution timed out, was decided or ended.
CLOSED_TOKEN = {"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"}


class ApprovalProblem(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail

    def problem(self, instance: str) -> dict[str, Any]:
        return {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }


def parse_body(raw: str | None) -> DecisionBody:
    try:
        return DecisionBody.model_validate_json(raw or "")
    except ValidationError as error:
        problems = "; ".join(_problem(e) for e in error.errors(include_url=False))
        raise ApprovalProblem(400, "bad request body", problems) from None


def _problem(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{where}: {error['msg']}"


def decide(
    run_id: str,
    raw_body: str | None,
    approver: str | None,
    *,
    s3: Any,
    sfn: Any,
    bucket: str,
    now: datetime | None = None,
) -> ApprovalDecision:
    """Resume the execution waiting at WaitForApproval with the decision; returns it."""
    if not approver:  # API Gateway's AWS_IAM authorization always sets it: its absence is a misconfiguration
        raise ApprovalProblem(403, "no authenticated caller", "the request carries no IAM identity (SigV4)")
    if not RUN_ID.match(run_id):
        raise ApprovalProblem(400, "bad run id", f"run id {run_id!r}: letters, digits, - and _ only (1-80)")
    body = parse_body(raw_body)
    now = now or datetime.now(UTC)
    pending = read_pending(s3, bucket, run_id)
    if pending.status != "pending":
        by = pending.decided.approver if pending.decided else "?"
        raise ApprovalProblem(409, "already decided", f"run {run_id} was {pending.status} by {by}")
    if pending.expired(now):
        detail = f"run {run_id}: the approval timed out at {pending.deadline.isoformat()}; the package was rejected"
        raise ApprovalProblem(409, "approval timed out", detail)
    decision = ApprovalDecision(
        decision=body.decision,
        approver=approver,
        reason=body.reason.strip(),
        decided_at=now.isoformat(timespec="seconds"),
    )
    try:
        sfn.send_task_success(taskToken=pending.task_token, output=decision.model_dump_json())
    except sfn.exceptions.ClientError as error:
        if error.response["Error"]["Code"] not in CLOSED_TOKEN:
            raise
        raise ApprovalProblem(
            409, "no longer waiting", f"run {run_id}: the execution no longer waits ({error.response['Error']['Code']})"
        ) from None
    status = "approved" if body.decision == "approve" else "rejected"
    decided = pending.model_copy(update={"status": status, "decided": decision})
    s3.put_object(
        Bucket=bucket,
        Key=approval_key(run_id),
        Body=decided.model_dump_json(indent=2).encode(),
        ContentType="application/json",
    )
    return decision


def read_pending(s3: Any, bucket: str, run_id: str) -> PendingApproval:
    try:
        body = s3.get_object(Bucket=bucket, Key=approval_key(run_id))["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise ApprovalProblem(404, "unknown run", f"no approval was requested for run {run_id}") from None
    return PendingApproval.model_validate_json(body)


def list_pending(s3: Any, bucket: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Approvals still waiting (not decided, not timed out), oldest first."""
    now = now or datetime.now(UTC)
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=APPROVALS_PREFIX):
        for item in page.get("Contents", []):
            pending = PendingApproval.model_validate_json(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            if pending.status == "pending" and not pending.expired(now):
                found.append(pending)
    return [json.loads(json.dumps(p.summary(now))) for p in sorted(found, key=lambda p: p.requested_at)]
