"""The emulated account checks every call's parameters as the service does (slipstream/local/strict/params.py):
a call made by the state machine's own aws-sdk task and one made by a Lambda handler's client are refused with
SageMaker's ValidationException, in a small account of their own (moto's interpreter, our in-process Lambda)."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from slipstream.local.stepfunctions import moto_extensions
from tests.aws_roles import service_role
from tests.statemachine.conftest import STATEMACHINE_GROUP

pytestmark = STATEMACHINE_GROUP
REGION = "us-east-1"
BAD_NAME = "cohort (2024), v2"  # ModelPackageGroupName must match [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}
REFUSED = f"1 validation error detected: Value '{BAD_NAME}' at 'modelPackageGroupName' failed to satisfy constraint"


@pytest.fixture
def account() -> Iterator[dict]:
    moto_extensions.install()
    with mock_aws(config=moto_extensions.MOTO_CONFIG):  # type: ignore[call-overload]
        # Allowed by IAM, so what refuses the calls is their parameters, as SageMaker's validation would.
        allowed = {"Effect": "Allow", "Action": ["sagemaker:CreateModelPackageGroup", "lambda:InvokeFunction"]}
        services = ["states.amazonaws.com", "lambda.amazonaws.com"]
        role = service_role("strict", services, [{**allowed, "Resource": "*"}])
        yield {"role": role, "sfn": boto3.client("stepfunctions", region_name=REGION)}


def run(account: dict, definition: dict, payload: dict) -> list[dict]:
    sfn = account["sfn"]
    name = f"strict-{uuid.uuid4().hex[:8]}"
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=account["role"])
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name=name, input=json.dumps(payload))
    deadline = time.monotonic() + 60
    while sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution still running"
        time.sleep(0.05)
    return sfn.get_execution_history(executionArn=execution["executionArn"])["events"]


def test_the_state_machines_aws_sdk_task_is_refused_as_sagemaker_refuses_it(account):
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:sagemaker:createModelPackageGroup",
        "Parameters": {"ModelPackageGroupName.$": "$.name"},
        "End": True,
    }
    definition = {"StartAt": "CreateGroup", "States": {"CreateGroup": task}}
    (failed,) = [
        e["taskFailedEventDetails"]
        for e in run(account, definition, {"name": BAD_NAME})
        if "taskFailedEventDetails" in e
    ]
    assert failed["error"] == "SageMaker.ValidationException"
    assert REFUSED in failed["cause"]
    succeeded = run(account, definition, {"name": "cohort-2024-v2"})
    assert succeeded[-1]["type"] == "ExecutionSucceeded"


def test_a_lambda_handlers_client_is_refused_as_sagemaker_refuses_it(account):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "the handler runs in process from the repository")
    function = boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="strict",
        Runtime="python3.11",
        Role=account["role"],
        Handler="tests.statemachine.strict_lambda.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    task = {"Type": "Task", "Resource": function["FunctionArn"], "End": True}
    definition = {"StartAt": "CreateGroup", "States": {"CreateGroup": task}}
    (failed,) = [e for e in run(account, definition, {"name": BAD_NAME}) if e["type"] == "LambdaFunctionFailed"]
    details = failed["lambdaFunctionFailedEventDetails"]
    assert details["error"] == "ClientError"
    assert "(ValidationException) when calling the CreateModelPackageGroup operation" in details["cause"]
    assert REFUSED in details["cause"]


@pytest.mark.parametrize(
    "definition",
    [
        "{not json",
        json.dumps({"StartAt": "Missing", "States": {}}),
        json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Bogus": 1}}}),
    ],
    ids=["not-json", "no-states", "unknown-field"],
)
def test_a_bad_definition_is_refused_as_invalid_definition(account, definition, capfd):
    with pytest.raises(ClientError) as refused:
        account["sfn"].create_state_machine(name="bad", definition=definition, roleArn=account["role"])
    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert account["sfn"].list_state_machines()["stateMachines"] == []
    assert "token recognition error" not in capfd.readouterr().err
