"""The serving stack's capture path in the strict account: the predict role puts records to the delivery
stream, and Firehose writes them to the artifact bucket as its delivery role, with that role's synthesized
grants (s3:PutObject under captures/, the storage key for SSE-KMS). Without them nothing reaches S3 and the
error is in the stream's delivery log, as on AWS."""

from __future__ import annotations

import gzip
import json

import pytest

from lambdas.predict.sinks import FirehoseSink
from slipstream.local.stepfunctions.emulation import emulated_pipeline
from slipstream.local.stepfunctions.moto_extensions.iam import client_as
from tests.statemachine.conftest import STATEMACHINE_GROUP

pytestmark = STATEMACHINE_GROUP
REGION = "us-east-1"
CAPTURE = {"request_id": "r-1", "prediction": 1}


@pytest.fixture(scope="module")
def account(config):
    with emulated_pipeline(config, serving=True) as world:
        yield world


def role(world, prefix: str) -> str:
    return next(r["Arn"] for r in world.client("iam").list_roles()["Roles"] if r["RoleName"].startswith(prefix))


def captures(world) -> list[dict]:
    listed = world.client("s3").list_objects_v2(Bucket=world.artifact_bucket, Prefix="captures/")
    return listed.get("Contents", [])


def put_capture(world, request_id: str) -> None:
    """As the predict Lambda does: its FirehoseSink, with the predict role's session."""
    firehose = client_as(role(world, "PredictRole"), "firehose", REGION, "predict")
    FirehoseSink(firehose, world.streams["capture"]).put([{**CAPTURE, "request_id": request_id}])


def destination(world) -> dict:
    stream = world.client("firehose").describe_delivery_stream(DeliveryStreamName=world.streams["capture"])
    return stream["DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"]


def delivery_log(world) -> list[dict]:
    logging = destination(world)["CloudWatchLoggingOptions"]
    events = world.client("logs").get_log_events(
        logGroupName=logging["LogGroupName"], logStreamName=logging["LogStreamName"]
    )["events"]
    return [json.loads(e["message"]) for e in events]


@pytest.fixture
def without(account):
    """Take one statement's actions out of the delivery role's synthesized policy; put the policy back after."""
    iam = account.client("iam")
    name = role(account, "CaptureRole").rsplit("/", 1)[1]
    policy_name = iam.list_role_policies(RoleName=name)["PolicyNames"][0]
    original = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]

    def remove(prefix: str) -> None:
        kept = [s for s in original["Statement"] if not any(a.startswith(prefix) for a in _actions(s))]
        iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        iam.put_role_policy(
            RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps({**original, "Statement": kept})
        )

    def restore() -> None:
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(original))

    remove.restore = restore  # type: ignore[attr-defined]
    yield remove
    restore()


def _actions(statement: dict) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def test_a_capture_reaches_s3_through_the_delivery_role(account) -> None:
    put_capture(account, "reaches")
    [stored] = [o for o in captures(account) if _body(account, o["Key"]) == _line("reaches")]
    key = stored["Key"]
    assert key.startswith("captures/data/") and key.endswith(".gz"), key  # the prefix's timestamp, evaluated
    assert "!{" not in key
    head = account.client("s3").head_object(Bucket=account.artifact_bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    key_arn = account.client("kms").describe_key(KeyId=head["SSEKMSKeyId"])["KeyMetadata"]["Arn"]
    assert key_arn == destination(account)["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"]
    # ... where the drift function, as its own role, may read it (s3:GetObject and kms:Decrypt on the key)
    drift = client_as(role(account, "DriftRole"), "s3", REGION, "drift")
    assert gzip.decompress(drift.get_object(Bucket=account.artifact_bucket, Key=key)["Body"].read()) == _line("reaches")


def test_the_delivery_role_without_s3_put_delivers_nothing_and_logs_why(account, without) -> None:
    before = {o["Key"] for o in captures(account)}
    without("s3:PutObject")
    put_capture(account, "no-s3")  # PutRecord itself succeeds: the predict role may put to the stream
    assert {o["Key"] for o in captures(account)} == before
    error = delivery_log(account)[-1]
    assert error["errorCode"] == "S3.AccessDenied"
    assert "assumed-role/CaptureRole" in error["message"]
    assert "is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::" in error["message"]
    assert error["deliveryStreamARN"].endswith(f":deliverystream/{account.streams['capture']}")


def test_the_delivery_role_without_the_key_delivers_nothing(account, without) -> None:
    before = {o["Key"] for o in captures(account)}
    without("kms:")
    put_capture(account, "no-kms")
    assert {o["Key"] for o in captures(account)} == before
    assert (
        "is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:"
        in (delivery_log(account)[-1]["message"])
    )


def test_refused_records_are_kept_and_delivered_once_the_role_may_write(account, without) -> None:
    """DirectPut: Firehose keeps what it could not deliver and retries; here the next delivery carries it."""
    without("s3:PutObject")
    put_capture(account, "kept")
    without.restore()
    put_capture(account, "after")
    bodies = [_body(account, o["Key"]) for o in captures(account)]
    assert any(body.endswith(_line("kept") + _line("after")) for body in bodies), bodies


def _line(request_id: str) -> bytes:
    return (json.dumps({**CAPTURE, "request_id": request_id}) + "\n").encode()


def _body(world, key: str) -> bytes:
    raw = world.client("s3").get_object(Bucket=world.artifact_bucket, Key=key)["Body"].read()
    return gzip.decompress(raw)
