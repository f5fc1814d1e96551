"""One account of a manual stage with IAM-authorized feedback (conftest.manual_approval_config), shared by
test_approval.py and test_feedback_auth.py: three executions decided through the approvals API (approve, reject,
nobody decides), then requests to the serving API's /feedback and /predict. The feedback part needs no run of
its own: it puts the contract and one issued request id in place with their own writers, and its subject (the
gateway's SigV4 check of /feedback, the key on /predict) does not depend on what the approvals left serving.
Everything is recorded; the tests assert on it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import boto3

from lambdas.predict.issued import DynamoDbIssued
from slipstream.cli.approve import signed_request
from slipstream.config import Config
from slipstream.layout import CONTRACT_KEY, approval_key
from slipstream.local.stepfunctions.emulation import FAKE_CREDENTIALS, emulated_pipeline, upload_dataset
from slipstream.local.stepfunctions.moto_extensions import role_credentials
from slipstream.local.stepfunctions.world import REGION, World
from tests.statemachine.conftest import APPROVAL_TIMEOUT_HOURS, REPO
from tests.statemachine.scenarios import Pipeline

ISSUED = "issued-by-predict"


def run(config: Config, probe: dict) -> dict[str, dict[str, Any]]:
    with emulated_pipeline(config) as world:
        pipeline, key = Pipeline(world, probe), upload_dataset(world, config)
        approvals = {**_approve(world, pipeline, key), **_reject(world, pipeline, key)}
        approvals.update(_no_decision(world, pipeline, key))
        return {"approvals": approvals, "feedback": _feedback(world, config)}


def _approve(world: World, pipeline: Pipeline, key: str) -> dict[str, Any]:
    """The first model deploys only after the decision; bad, unknown, foreign and second decisions are refused."""
    arn = world.start("approve-me", key)
    seen: dict[str, Any] = {}
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
    return seen


def _reject(world: World, pipeline: Pipeline, key: str) -> dict[str, Any]:
    """The champion keeps serving."""
    arn = world.start("reject-me", key)
    _waiting(world, arn, "reject-me")
    body = {"decision": "reject", "reason": "recall too low on the new segment"}
    rejected = _call(world, "POST", "/approvals/reject-me", body)
    world.wait(arn)
    return {"rejected": rejected, "reject": pipeline.capture_execution("reject-me", arn)}


def _no_decision(world: World, pipeline: Pipeline, key: str) -> dict[str, Any]:
    """The task times out; a decision after that is refused."""
    arn = world.start("nobody-decides", key)
    _waiting(world, arn, "nobody-decides")
    world.wait(arn, timeout=APPROVAL_TIMEOUT_HOURS * 3600 + 120)
    timeout = pipeline.capture_execution("nobody-decides", arn)
    return {"timeout": timeout, "late": _call(world, "POST", "/approvals/nobody-decides", {"decision": "approve"})}


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


def _feedback(world: World, config: Config) -> dict[str, tuple[int, dict]]:
    api = world.apis["serving"]
    label, predict_role = _prepare(world, config)
    feedback, predict = api.url + "feedback", api.url + "predict"
    body = {"request_id": ISSUED, "row": 0, "ground_truth": label}
    arn = f"arn:aws:execute-api:{REGION}:{api.account}:{api.api_id}/{api.stage}"
    labeller = _role(world, "labelling-job", f"{arn}/POST/feedback")
    deployer = {k.lower(): v for k, v in FAKE_CREDENTIALS.items()}
    return {
        "key_only": _plain(feedback, body, api.api_key),
        "unsigned": _plain(feedback, body, None),
        "stranger": _signed(role_credentials(predict_role, "stranger"), feedback, body),
        "labeller": _signed(labeller, feedback, body),
        "deployer_unknown_id": _signed(deployer, feedback, {**body, "request_id": "never-issued"}),
        "labeller_predicts": _signed(labeller, predict, {"instances": [{}]}),
        "predict_without_key": _plain(predict, {"instances": [{}]}, None),
        "predict_with_key": _plain(predict, {"instances": [{}]}, api.api_key),
    }


def _plain(url: str, body: dict, api_key: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"x-api-key": api_key} if api_key else {})}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _signed(credentials: dict, url: str, body: dict) -> tuple[int, dict]:
    return signed_request(boto3.Session(region_name=REGION, **credentials), "POST", url, body)


def _role(world, name: str, resource: str) -> dict:
    """A role (a labelling job's) allowed execute-api:Invoke on `resource` only; its assumed credentials."""
    iam = world.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource}],
    }
    iam.put_role_policy(RoleName=name, PolicyName="invoke", PolicyDocument=json.dumps(allow))
    return role_credentials(role, name)


def _prepare(world, config) -> tuple[str, str]:
    """The contract (for the labels) where the predict function reads it, and one issued id; its label."""
    from slipstream.contract import write_contract
    from slipstream.dataset import load_dataset
    from slipstream.steps.validate import validate_data

    contract = validate_data(load_dataset(config), config, None).contract
    path = REPO / ".slipstream-test-contract.json"
    try:
        write_contract(contract, path)
        world.client("s3").put_object(Bucket=world.artifact_bucket, Key=CONTRACT_KEY, Body=path.read_bytes())
    finally:
        path.unlink(missing_ok=True)
    function = world.apis["serving"].routes[0].function_name
    env = world.client("lambda").get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    DynamoDbIssued(world.client("dynamodb"), env["ISSUED_TABLE"], 1).record(ISSUED, 1)
    predict_role = world.client("lambda").get_function(FunctionName=function)["Configuration"]["Role"]
    return str(contract.labels[0]), predict_role
