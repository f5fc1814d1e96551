"""The emulation's cost cuts keep moto's behaviour: a parsed definition is reused but its components are not, a
waiter learns of an execution's end without polling, a .sync task's wait ends when a job ends, and a Lambda
handler's new session reads the service models the process already loaded.
No synthesis and no pipeline: a two-state machine in a bare strict account (a second or so)."""

from __future__ import annotations

import json
import threading

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from slipstream.local.stepfunctions.moto_extensions import MOTO_CONFIG, costs, install

DEADLINE = 30.0  # s: what each wait below may take at most on a loaded machine; each returns in ms when correct
DEFINITION = {
    "StartAt": "Hold",
    "States": {"Hold": {"Type": "Wait", "Seconds": 1, "Next": "Done"}, "Done": {"Type": "Pass", "End": True}},
}
TRUST = {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}


@pytest.fixture
def sfn():
    install()
    with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]  # a partial DefaultConfig
        role = boto3.client("iam", region_name="us-east-1").create_role(
            RoleName="machine", AssumeRolePolicyDocument=json.dumps(TRUST)
        )["Role"]["Arn"]
        client = boto3.client("stepfunctions", region_name="us-east-1")
        yield client, role


def test_an_execution_announces_its_end_after_its_status_is_written(sfn) -> None:
    client, role = sfn
    machine = client.create_state_machine(name="m", definition=json.dumps(DEFINITION), roleArn=role)
    execution = client.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
    ended = costs.execution_ended(execution)
    assert ended.wait(DEADLINE), f"no end announced for {execution} within {DEADLINE} s"
    assert client.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"


def test_a_definition_is_parsed_once_but_every_execution_gets_its_own_components(sfn) -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    text = json.dumps(DEFINITION)
    first, tree = AmazonStateLanguageParser.parse(text)
    second, same_tree = AmazonStateLanguageParser.parse(text)
    assert same_tree is tree and second is not first


def test_a_definition_with_a_syntax_error_is_still_refused(sfn) -> None:
    client, role = sfn
    broken = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})[:-1]
    for _ in range(2):  # the second refusal comes from the kept parse
        with pytest.raises(ClientError, match="ASLParserException line 1:69") as refused:
            client.create_state_machine(name="broken", definition=broken, roleArn=role)
        assert refused.value.response["Error"]["Code"] == "InvalidDefinition"


def test_a_sync_wait_ends_when_a_job_ends(monkeypatch) -> None:
    monkeypatch.setattr(costs, "SYNC_POLL_SECONDS", 4 * DEADLINE)  # no safety net in time: only a job's end wakes it
    polled, done = threading.Event(), threading.Event()

    def task() -> None:  # what moto's .sync loop does between two Describe*Job calls
        costs.job_polled()
        polled.set()
        costs._UntilAJobEnds.sleep(4 * DEADLINE)
        done.set()

    threading.Thread(target=task, daemon=True).start()
    assert polled.wait(DEADLINE), "the task never polled"
    costs.job_ended()
    assert done.wait(DEADLINE), f"a job ended and the .sync wait went on for {DEADLINE} s"


def test_a_sync_wait_with_no_job_polled_sleeps_as_moto_does(monkeypatch) -> None:
    slept = []
    monkeypatch.setattr(costs.time, "sleep", slept.append)
    costs._SEEN.__dict__.pop("generation", None)
    costs._UntilAJobEnds.sleep(0.5)
    assert slept == [0.5]


def whoami(event, context) -> dict:
    """A handler: which credentials its default session resolved, and the data loader its clients read from."""
    session = boto3.DEFAULT_SESSION or boto3.Session()
    client = boto3.client("s3")
    return {"key": session.get_credentials().access_key, "model": id(client.meta.service_model.metadata)}


def test_each_invocation_reads_its_functions_credentials_from_one_shared_loader() -> None:
    """A handler's session is new per invocation (the function's role credentials, from its environment) while
    the service models it loads are the process's: reading them per invocation cost more than the handler."""
    from slipstream.local.stepfunctions.handlers import LambdaContext, invoke_handler

    install()  # handlers run inside the emulation, whose patches share the loader (costs.py)
    answers = []
    for key in ("role-a-key", "role-b-key"):
        context = LambdaContext(f"fn-{key}", f"arn:aws:lambda:us-east-1:123456789012:function:fn-{key}", 128)
        environment = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
        answer, errored = invoke_handler(f"{__name__}.whoami", environment, {}, context=context, region="us-east-1")
        assert not errored, answer
        answers.append(answer)
    assert [answer["key"] for answer in answers] == ["role-a-key", "role-b-key"]
    assert answers[0]["model"] == answers[1]["model"]  # the S3 model read once, not per invocation


def test_new_sessions_share_the_service_models_and_keep_their_own_credentials() -> None:
    """Every new boto3 session in the emulated process reads the service models the process already loaded (as
    one session's clients share them), while credentials, region and clients stay the session's own."""
    install()
    sessions = [
        boto3.Session(aws_access_key_id=key, aws_secret_access_key="secret", region_name=region)
        for key, region in (("key-a", "us-east-1"), ("key-b", "eu-west-1"))
    ]
    clients = [session.client("sagemaker") for session in sessions]
    assert clients[0].meta.service_model.metadata is clients[1].meta.service_model.metadata
    assert [session.get_credentials().access_key for session in sessions] == ["key-a", "key-b"]
    assert [client.meta.region_name for client in clients] == ["us-east-1", "eu-west-1"]
    assert clients[0] is not clients[1]


LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def _attachments_in_a_new_account(attach: bool) -> tuple[int, str]:
    """(attachment count, default version's document) of LAMBDA_BASIC in a fresh moto account."""
    with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]  # a partial DefaultConfig
        iam = boto3.client("iam", region_name="us-east-1")
        if attach:
            iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(TRUST))
            iam.attach_role_policy(RoleName="fn", PolicyArn=LAMBDA_BASIC)
        policy = iam.get_policy(PolicyArn=LAMBDA_BASIC)["Policy"]
        version = iam.get_policy_version(PolicyArn=LAMBDA_BASIC, VersionId=policy["DefaultVersionId"])
        return policy["AttachmentCount"], json.dumps(version["PolicyVersion"]["Document"], sort_keys=True)


def test_the_managed_policies_built_once_are_each_accounts_own() -> None:
    """The AWS managed policies are built once per process and copied into every account: an attachment in one
    account is not seen by the next, and the copies carry moto's documents."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    install()
    attached, document = _attachments_in_a_new_account(attach=True)
    fresh, same_document = _attachments_in_a_new_account(attach=False)
    assert (attached, fresh) == (1, 0)
    expected = json.loads(aws_managed_policies_data)["AWSLambdaBasicExecutionRole"]["Document"]
    assert json.loads(document) == json.loads(same_document) == expected


def test_only_the_emulated_partition_gets_the_managed_policies() -> None:
    """moto builds an IAM backend per partition for every account; the emulated account's region is in the "aws"
    partition, whose backend keeps every managed policy, while the others (never called) get none."""
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    from slipstream.local.stepfunctions import world

    install()
    assert get_partition(world.REGION) == costs.EMULATED_PARTITION
    with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]
        boto3.client("iam", region_name=world.REGION).list_roles()
        backends = iam_backends[world.ACCOUNT]
        assert LAMBDA_BASIC in backends[costs.EMULATED_PARTITION].managed_policies
        assert not backends["aws-cn"].aws_managed_policies


def test_fresh_accounts_draw_the_same_ids_and_a_restored_one_draws_its_own() -> None:
    """Same ids, so same-config accounts hold the same definition text and its parse is kept; a restored account
    must not draw again the ids its saved resources hold."""
    from slipstream.local.stepfunctions.emulation import _account

    def key_id(fresh: bool) -> str:
        with _account(0.01, fresh=fresh):
            return boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]

    first, second, restored = key_id(True), key_id(True), key_id(False)
    assert first == second and restored != first
