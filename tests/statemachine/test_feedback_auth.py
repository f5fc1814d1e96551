"""`[serving] feedback_auth = "iam"`: the emulated API Gateway (rest_apis.py) authorizes POST /feedback by SigV4
against the signer's IAM policy, while /predict keeps the API key. The account is test_approval.py's (after its
runs); the contract and one request id /predict would have issued are put in place with their own writers."""

from __future__ import annotations

import pytest

from tests.statemachine.conftest import MANUAL_GROUP
from tests.statemachine.manual_stage import ISSUED

pytestmark = MANUAL_GROUP  # the account is conftest's `manual_stage`, after test_approval.py's executions


@pytest.fixture(scope="module")
def answers(manual_stage) -> dict[str, tuple[int, dict]]:
    return manual_stage["feedback"]


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
