"""`approval = "manual"`: the synthesized state machine waits at WaitForApproval with the package pending and the
endpoint untouched; a decision through the approvals API (IAM caller from the request context) resumes it:
approve -> deployed with the approver on the package and in the record; reject -> Rejected, champion kept; no
decision within the (short, here) timeout -> Rejected "approval timed out", notified, champion kept."""

from __future__ import annotations

import pytest

from tests.statemachine.conftest import MANUAL_GROUP

pytestmark = MANUAL_GROUP  # the account is conftest's `manual_stage`, shared with test_feedback_auth.py


@pytest.fixture(scope="module")
def runs(manual_stage) -> dict:
    return manual_stage["approvals"]


def test_the_execution_waits_with_the_package_pending_and_no_endpoint(runs):
    waiting = runs["while_waiting"]
    assert waiting.packages == {"approve-me": "PendingManualApproval"}
    assert waiting.endpoint is None and waiting.record is None
    pending = runs["pending"]
    assert pending["status"] == "pending" and pending["version"] == "1" and pending["gate"]["passed"] is True
    # The Lambda stores the document, then publishes: the notice may arrive after the snapshot.
    sent = waiting.notifications + runs["approve"].notifications
    announced = [n for n in sent if n.get("status") == "approval needed"]
    assert announced and announced[0]["approval"]["approve"] == "slipstream approve --stage dev approve-me"
    listed = runs["listed"][1]["pending"]
    assert [item["run_id"] for item in listed] == ["approve-me"] and "task_token" not in listed[0]


def test_the_api_refuses_a_bad_body_an_unknown_run_and_a_second_decision(runs):
    assert runs["bad_body"][0] == 400 and "reason" in runs["bad_body"][1]["detail"]
    assert runs["unknown"][0] == 404
    status, body = runs["stranger"]  # API Gateway refuses a signer without execute-api:Invoke; nothing decided
    assert status == 403 and "assumed-role/PredictRole" in body["message"], body
    assert runs["again"][0] == 409
    assert runs["late"][0] == 409


def test_approve_deploys_and_records_the_approver(runs):
    outcome = runs["approve"]
    assert runs["approved"][0] == 200
    assert outcome.status == "SUCCEEDED" and "WaitForApproval" in outcome.path and "Deployed" in outcome.path
    assert outcome.path.index("WaitForApproval") < outcome.path.index("CreateModel")
    approver = runs["approved"][1]["approver"]
    assert approver.startswith("arn:aws:")  # the SigV4 caller, not a field of the body
    package = outcome.package_details["approve-me"]
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["CustomerMetadataProperties"]["approved_by"] == approver
    assert package["CustomerMetadataProperties"]["slipstream.run_id"] == "approve-me"  # the lineage stays
    assert approver in package["ApprovalDescription"] and package["ApprovalDescription"].endswith(": ok")
    approval = outcome.record["champion"]["approval"]
    assert approval["approved_by"] == approver.split(":", 5)[5] and approval["reason"] == "ok"


def test_reject_keeps_the_champion(runs):
    outcome, before = runs["reject"], runs["approve"]
    assert outcome.status == "SUCCEEDED" and outcome.path[-1] == "ApprovalRejected"
    assert "CreateModel" not in outcome.path
    package = outcome.package_details["reject-me"]
    assert package["ModelApprovalStatus"] == "Rejected"
    assert "recall too low on the new segment" in package["ApprovalDescription"]
    assert outcome.endpoint["EndpointConfigName"] == before.endpoint["EndpointConfigName"]
    assert outcome.record["champion"]["run_id"] == "approve-me"
    assert any(n.get("status") == "rejected by approver" for n in outcome.notifications)


def test_no_decision_times_out_rejects_and_notifies(runs):
    outcome, before = runs["timeout"], runs["approve"]
    assert outcome.status == "FAILED" and outcome.path[-1] == "ApprovalTimedOut"
    package = outcome.package_details["nobody-decides"]
    assert package["ModelApprovalStatus"] == "Rejected" and "approval timed out" in package["ApprovalDescription"]
    assert outcome.endpoint["EndpointConfigName"] == before.endpoint["EndpointConfigName"]
    assert outcome.record["champion"]["run_id"] == "approve-me"
    assert any(n.get("status") == "approval timed out" for n in outcome.notifications)
