"""WaitForApproval (`approval = "manual"`): store what waits for a person, with the task token that resumes the
execution, and announce it on the pipeline topic. The execution then waits (up to the stage's timeout) until
the approvals API (lambdas/approval_decision) sends the decision with SendTaskSuccess."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from slipstream.documents.approval import ApprovalRequest, PendingApproval
from slipstream.layout import approval_key

SUBJECT = "approval needed"


def request_approval(
    request: ApprovalRequest,
    *,
    project: str,
    stage: str,
    bucket: str,
    topic_arn: str,
    subject_prefix: str,
    s3: Any,
    sns: Any,
    now: datetime | None = None,
) -> PendingApproval:
    requested = now or datetime.now(UTC)
    pending = PendingApproval(
        project=project,
        stage=stage,
        run_id=request.run_id,
        execution=request.execution,
        model_package_arn=request.model_package_arn,
        version=request.version,
        gate=request.gate,
        evaluation_uri=request.evaluation_uri,
        # Register put the SageMaker model card on the package (slipstream/package_card.py): DescribeModelPackage
        # or the console's Model Registry shows it; the evaluation is the card's source.
        model_card=f"the model card of {request.model_package_arn} (evaluation: {request.evaluation_uri})",
        requested_at=requested,
        deadline=requested + timedelta(seconds=request.timeout_seconds),
        task_token=request.task_token,
    )
    # No SSE parameters: the bucket's default encrypts it with the project key (SSE-KMS, bucket key on).
    s3.put_object(
        Bucket=bucket,
        Key=approval_key(request.run_id),
        Body=pending.model_dump_json(indent=2).encode(),
        ContentType="application/json",
    )
    sns.publish(TopicArn=topic_arn, Subject=f"[{subject_prefix}] {SUBJECT}", Message=json.dumps(message(pending)))
    return pending


def message(pending: PendingApproval) -> dict[str, Any]:
    """The notification (lambdas/slack_notifier renders it: slipstream/monitoring/approval_notice.py)."""
    stage, run = pending.stage, pending.run_id
    return {
        "project": pending.project,
        "stage": stage,
        "run_id": run,
        "execution": pending.execution,
        "status": "approval needed",
        "approval": {
            "version": pending.version,
            "model_package": pending.model_package_arn,
            "model_card": pending.model_card,
            "deadline": pending.deadline.isoformat(timespec="seconds"),
            "gate": pending.gate.model_dump(mode="json"),
            "approve": f"slipstream approve --stage {stage} {run}",
            "reject": f'slipstream reject --stage {stage} {run} --reason "..."',
        },
    }
