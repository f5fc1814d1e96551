"""`approval = "manual"`: the synthesized state machine waits at WaitForApproval with the package pending and the
endpoint untouched; a decision through the approvals API (IAM caller from the request context) resumes it:
approve -> deployed with the approver on the package and in the record; reject -> Rejected, champion kept; no
decision within the (short, here) timeout -> Rejected "approval timed out", notified, champion kept."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from slipstream.cli.approve import signed_request
from slipstream.layout import approval_key
from slipstream.local.stepfunctions.emulation import FAKE_CREDENTIALS, emulated_pipeline, upload_dataset
from slipstream.local.stepfunctions.moto_extensions import role_credentials
from slipstream.local.stepfunctions.world import REGION
from tests.statemachine.conftest import APPROVAL_TIMEOUT_HOURS, manual_approval_config
from tests.statemachine.scenarios import Pipeline

pytestmark = pytest.mark.xdist_group("statemachine-approval")  # its own account: see conftest.py
TIMEOUT_HOURS = APPROVAL_TIMEOUT_HOURS


@pytest.fixture(scope="module")
def manual_config():
    return manual_approval_config()


def _call(world, method: str, path: str, body: dict | None = None, credentials=None) -> tuple[int, dict]:
    """What `slipstream approve|reject|approvals` sends: a SigV4-signed request to the stage's approvals API
    (here the emulated API Gateway, which passes the signer to the decision function). Default: the deployer."""
    credentials = credentials or {k.lower(): v for k, v in FAKE_CREDENTIALS.items()}
    session = boto3.Session(region_name=REGION, **credentials)
    return signed_request(session, method, world.apis["approvals"].url.rstrip("/") + path, body)


def _stranger(world) -> dict:
    """A role no policy lets invoke the approvals API: the predict function's."""
    predict = world.apis["serving"].routes[0].function_name
    role = world.client("lambda").get_function(FunctionName=predict)["Configuration"]["Role"]
    return role_credentials(role, "stranger")


def _waiting(world, arn: str, run_id: str, limit: float = 240) -> dict:
    """Block until the execution sits in WaitForApproval and its pending document exists; return the document."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert world.status(arn) == "RUNNING", world.history(arn)[-3:]
        try:
            body = world.client("s3").get_object(Bucket=world.artifact_bucket, Key=approval_key(run_id))["Body"]
            return json.loads(body.read())
        except world.client("s3").exceptions.NoSuchKey:
            time.sleep(0.2)
    raise TimeoutError(f"{run_id} never reached WaitForApproval")


@pytest.fixture(scope="module")
def runs(manual_config, probe):
    with emulated_pipeline(manual_config) as world:
        pipeline, key = Pipeline(world, probe), upload_dataset(world, manual_config)
        seen: dict = {}
        # 1. approve: the first model deploys only after the decision.
        arn = world.start("approve-me", key)
        seen["pending"] = _waiting(world, arn, "approve-me")
        seen["while_waiting"] = pipeline.snapshot()
        seen["bad_body"] = _call(world, "POST", "/approvals/approve-me", {"decision": "reject"})
        seen["unknown"] = _call(world, "POST", "/approvals/nobody", {"decision": "approve"})
        seen["listed"] = _call(world, "GET", "/approvals")
        seen["stranger"] = _call(world, "POST", "/approvals/approve-me", {"decision": "approve"}, _stranger(world))
        seen["approved"] = _call(world, "POST", "/approvals/approve-me", {"decision": "approve", "reason": "ok"})
        seen["again"] = _call(world, "POST", "/approvals/approve-me", {"decision": "reject", "reason": "x"})
        world.wait(arn)
        seen["approve"] = pipeline.capture_execution("approve-me", arn)
        # 2. reject: the champion keeps serving.
        arn = world.start("reject-me", key)
        _waiting(world, arn, "reject-me")
        body = {"decision": "reject", "reason": "recall too low on the new segment"}
        seen["rejected"] = _call(world, "POST", "/approvals/reject-me", body)
        world.wait(arn)
        seen["reject"] = pipeline.capture_execution("reject-me", arn)
        # 3. nobody decides: the task times out.
        arn = world.start("nobody-decides", key)
        _waiting(world, arn, "nobody-decides")
        world.wait(arn, timeout=TIMEOUT_HOURS * 3600 + 120)
        seen["timeout"] = pipeline.capture_execution("nobody-decides", arn)
        seen["late"] = _call(world, "POST", "/approvals/nobody-decides", {"decision": "approve"})
        return seen


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
