"""The approvals API's rules (404/409/400, identity from the request context) and the Slack rendering."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from lambdas.approval_decision.logic import ApprovalProblem, decide
from lambdas.approval_request.logic import message
from slipstream.documents.approval import PendingApproval
from slipstream.documents.gate import GateDecision
from slipstream.layout import approval_key
from slipstream.monitoring.alarm import notice_from_sns
from slipstream.monitoring.slack import Links, build_message

BUCKET = "approvals-bucket"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
GATE = GateDecision(
    passed=True,
    metric="f1",
    value=0.97,
    threshold=None,
    champion_value=None,
    baseline=None,
    champion=None,
    reasons=["beats the baseline"],
    baseline_figures="f1 0.97 vs 0.62",
    champion_figures="none",
)


def _pending(**update) -> PendingApproval:
    return PendingApproval(
        project="p",
        stage="prod",
        run_id="r1",
        execution="arn:x",
        model_package_arn="arn:pkg/1",
        version="1",
        gate=GATE,
        evaluation_uri="s3://b/e.json",
        model_card="arn:pkg/1",
        requested_at=NOW,
        deadline=NOW + timedelta(hours=72),
        task_token="tok",
        **update,
    )


class FakeSfn:
    class exceptions:
        from botocore.exceptions import ClientError

    def __init__(self):
        self.sent = []

    def send_task_success(self, taskToken, output):
        self.sent.append((taskToken, json.loads(output)))


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _put(s3, pending):
    s3.put_object(Bucket=BUCKET, Key=approval_key(pending.run_id), Body=pending.model_dump_json().encode())


def test_approve_sends_the_decision_with_the_callers_identity(s3):
    _put(s3, _pending())
    sfn = FakeSfn()
    body = json.dumps({"decision": "approve", "reason": "ok", "approver": "arn:aws:iam::1:user/mallory"})
    with pytest.raises(ApprovalProblem) as refused:  # the body may not name the approver
        decide("r1", body, "arn:aws:iam::1:user/alice", s3=s3, sfn=sfn, bucket=BUCKET, now=NOW)
    assert refused.value.status == 400 and "approver" in refused.value.detail
    decision = decide(
        "r1", '{"decision": "approve"}', "arn:aws:iam::1:user/alice", s3=s3, sfn=sfn, bucket=BUCKET, now=NOW
    )
    assert decision.approver == "arn:aws:iam::1:user/alice" and sfn.sent[0][0] == "tok"
    assert sfn.sent[0][1]["approver"] == "arn:aws:iam::1:user/alice"
    with pytest.raises(ApprovalProblem) as again:
        decide("r1", '{"decision": "approve"}', "arn:aws:iam::1:user/bob", s3=s3, sfn=sfn, bucket=BUCKET, now=NOW)
    assert again.value.status == 409 and "alice" in again.value.detail


@pytest.mark.parametrize(
    ("run_id", "body", "status"),
    [
        ("nope", '{"decision": "approve"}', 404),
        ("r1", '{"decision": "reject"}', 400),
        ("r1", "not json", 400),
        ("r1", '{"decision": "maybe"}', 400),
        ("../x", '{"decision": "approve"}', 400),
    ],
)
def test_refusals(s3, run_id, body, status):
    _put(s3, _pending())
    with pytest.raises(ApprovalProblem) as refused:
        decide(run_id, body, "arn:aws:iam::1:user/alice", s3=s3, sfn=FakeSfn(), bucket=BUCKET, now=NOW)
    assert refused.value.status == status
    assert refused.value.problem("/approvals/x")["status"] == status


def test_a_timed_out_approval_is_a_conflict(s3):
    _put(s3, _pending())
    with pytest.raises(ApprovalProblem) as late:
        later = NOW + timedelta(days=4)
        decide("r1", '{"decision": "approve"}', "arn:a", s3=s3, sfn=FakeSfn(), bucket=BUCKET, now=later)
    assert late.value.status == 409 and "timed out" in late.value.detail


def test_slack_shows_what_waits_the_gate_and_the_commands():
    notice = notice_from_sns("[p-prod] approval needed", json.dumps(message(_pending())))
    text = json.dumps(build_message(notice, Links()))
    assert notice.state == "approval needed"
    for expected in (
        "version 1, run r1",
        "f1 0.97 vs 0.62",
        "slipstream approve --stage prod r1",
        "slipstream reject --stage prod r1 --reason",
        "arn:pkg/1",
    ):
        assert expected in text
