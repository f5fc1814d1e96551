"""`[serving] feedback_auth = "iam"`: the emulated API Gateway (rest_apis.py) authorizes POST /feedback by SigV4
against the signer's IAM policy, while /predict keeps the API key. No pipeline runs: the contract the first run
would write and one request id /predict would have issued are put in place with their own writers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import pytest

from lambdas.predict.issued import DynamoDbIssued
from slipstream.cli.approve import signed_request
from slipstream.layout import CONTRACT_KEY
from slipstream.local.stepfunctions.emulation import FAKE_CREDENTIALS, emulated_pipeline
from slipstream.local.stepfunctions.moto_extensions import role_credentials
from slipstream.local.stepfunctions.world import REGION
from tests.statemachine.conftest import REPO, manual_approval_config

pytestmark = pytest.mark.xdist_group("statemachine-feedback-auth")  # its own account: see conftest.py
ISSUED = "issued-by-predict"


@pytest.fixture(scope="module")
def iam_feedback_config():
    return manual_approval_config()  # test_approval.py's config: one synthesis between the two


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


@pytest.fixture(scope="module")
def answers(iam_feedback_config) -> dict[str, tuple[int, dict]]:
    with emulated_pipeline(iam_feedback_config) as world:
        api = world.apis["serving"]
        label, predict_role = _prepare(world, iam_feedback_config)
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


def test_feedback_without_a_signature_is_refused_even_with_the_api_key(answers):
    for case in ("key_only", "unsigned"):
        status, body = answers[case]
        assert status == 403 and body == {"message": "Missing Authentication Token"}, case


def test_a_signer_without_execute_api_invoke_on_feedback_is_refused(answers):
    status, body = answers["stranger"]
    assert status == 403 and "is not authorized to access this resource" in body["message"]


def test_the_labelling_role_stores_feedback_and_the_function_still_checks_the_id(answers):
    assert answers["labeller"] == (200, {"request_id": ISSUED, "row": 0, "stored": True})
    status, body = answers["deployer_unknown_id"]
    assert status == 404 and body["error"] == "unknown request", body


def test_predict_keeps_the_api_key(answers):
    assert answers["predict_without_key"][0] == 403
    assert answers["labeller_predicts"][0] == 403  # a signature is not the key
    assert answers["predict_with_key"][0] not in (401, 403)  # past the gateway: the function answers
