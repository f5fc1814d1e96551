"""The serving stack's warehouse path in the strict account: the predict role puts rows to the delivery
streams, and Firehose converts them to Parquet by their Glue table (read as the delivery role) and writes them
to the artifact bucket as that role, with its synthesized grants (glue:GetTable on its table, s3:PutObject
under its prefix, the storage key for SSE-KMS). Without them nothing reaches S3 and the error is in the
stream's delivery log, as on AWS; a row that does not fit the table lands under errors/."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lambdas.predict.sinks import FirehoseSink
from slipstream.local.stepfunctions.emulation import emulated_pipeline
from slipstream.local.stepfunctions.moto_extensions.iam import client_as
from tests.statemachine.conftest import STATEMACHINE_GROUP

pytestmark = STATEMACHINE_GROUP
REGION = "us-east-1"
DATABASE = "breast_cancer_dev"
# Hive type -> what a Parquet reader sees; written here from the Hive types, not from the emulation's table.
PARQUET_TYPES = {
    "string": pa.string(),
    "double": pa.float64(),
    "bigint": pa.int64(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("ms"),
    "map<string,double>": pa.map_(pa.string(), pa.float64()),
}
SENT_AT = datetime(2026, 12, 1, 13, 16, 31, 123000, tzinfo=UTC)
# A capture row as the predict service writes it (wh-common decision 1): every meta column, one per feature.
CAPTURE = {
    "request_id": "r-1",
    "row": 0,
    "timestamp": SENT_AT.isoformat(timespec="milliseconds"),
    "variant": "champion",
    "endpoint": "breast-cancer-dev",
    "model_version": "3",
    "prediction": 1,  # a label as the endpoint returned it: the table types it string
    "probabilities": {"0": 0.25, "1": 0.75},
    "latency_ms": 12.5,
    "shadowed": False,
    "shadow_model_version": None,
    "shadow_prediction": None,
    "shadow_probabilities": None,
    "shadow_latency_ms": None,
    "shadow_error": None,
}


@pytest.fixture(scope="module")
def account(config):
    with emulated_pipeline(config) as world:
        yield world


def role(world, prefix: str) -> str:
    return next(r["Arn"] for r in world.client("iam").list_roles()["Roles"] if r["RoleName"].startswith(prefix))


def captures(world, prefix: str = "captures/") -> list[dict]:
    listed = world.client("s3").list_objects_v2(Bucket=world.artifact_bucket, Prefix=prefix)
    return listed.get("Contents", [])


def glue_columns(world, table: str) -> list[dict]:
    return world.client("glue").get_table(DatabaseName=DATABASE, Name=table)["Table"]["StorageDescriptor"]["Columns"]


def capture_row(world, request_id: str) -> dict:
    """CAPTURE with a value for every feature column of the captures table."""
    features = [c["Name"] for c in glue_columns(world, "captures") if c["Name"] not in CAPTURE]
    return {**CAPTURE, "request_id": request_id, **{name: float(i) for i, name in enumerate(features)}}


def put_rows(world, rows: list[dict], stream: str = "capture") -> None:
    """As the predict Lambda does: its FirehoseSink, with the predict role's session."""
    firehose = client_as(role(world, "PredictRole"), "firehose", REGION, "predict")
    FirehoseSink(firehose, world.streams[stream]).put(rows)


def put_capture(world, request_id: str) -> None:
    put_rows(world, [capture_row(world, request_id)])


def destination(world, stream: str = "capture") -> dict:
    described = world.client("firehose").describe_delivery_stream(DeliveryStreamName=world.streams[stream])
    return described["DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"]


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


def test_a_capture_reaches_s3_as_parquet_with_the_glue_tables_schema(account) -> None:
    put_capture(account, "reaches")
    [stored] = [o for o in captures(account) if "reaches" in _request_ids(account, o["Key"])]
    key = stored["Key"]
    assert key.startswith("captures/data/") and key.endswith(".parquet"), key  # the prefix's timestamp, evaluated
    assert "!{" not in key
    head = account.client("s3").head_object(Bucket=account.artifact_bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    key_arn = account.client("kms").describe_key(KeyId=head["SSEKMSKeyId"])["KeyMetadata"]["Arn"]
    assert key_arn == destination(account)["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"]
    table = _parquet(account, key)
    columns = glue_columns(account, "captures")
    assert table.schema.names == [c["Name"] for c in columns]  # every column, in the table's order (no dt)
    assert [table.schema.field(c["Name"]).type for c in columns] == [PARQUET_TYPES[c["Type"]] for c in columns]
    [row] = table.to_pylist()
    assert row["timestamp"] == SENT_AT.replace(tzinfo=None) and row["prediction"] == "1"
    assert dict(row["probabilities"]) == CAPTURE["probabilities"] and row["shadow_probabilities"] is None
    assert row["mean_radius"] == 0.0 and row["row"] == 0
    # ... where the drift function, as its own role, may read it (s3:GetObject and kms:Decrypt on the key)
    drift = client_as(role(account, "DriftRole"), "s3", REGION, "drift")
    body = drift.get_object(Bucket=account.artifact_bucket, Key=key)["Body"].read()
    assert pq.read_table(io.BytesIO(body)).column("request_id").to_pylist() == ["reaches"]


def test_a_row_that_does_not_fit_the_table_lands_under_errors(account) -> None:
    bad = {**capture_row(account, "bad"), "timestamp": "yesterday"}
    put_rows(account, [capture_row(account, "good"), bad])
    assert any("good" in _request_ids(account, o["Key"]) for o in captures(account, "captures/data/"))
    assert not any("bad" in _request_ids(account, o["Key"]) for o in captures(account, "captures/data/"))
    errors = [o["Key"] for o in captures(account, "captures/errors/format-conversion-failed/")]
    documents = [json.loads(line) for key in errors for line in _raw(account, key).splitlines()]
    [failed] = [d for d in documents if b'"bad"' in base64.b64decode(d["rawData"])]
    assert json.loads(base64.b64decode(failed["rawData"])) == bad  # the record as it was sent
    assert "timestamp" in failed["lastErrorMessage"]
    assert failed["dataCatalogTable"]["tableName"] == "captures"


def test_feedback_reaches_its_own_table_as_parquet(account) -> None:
    row = {"request_id": "fb", "row": 2, "ground_truth": 1, "received_at": SENT_AT.isoformat(timespec="milliseconds")}
    put_rows(account, [row], stream="feedback")
    [key] = [o["Key"] for o in captures(account, "feedback/data/") if "fb" in _request_ids(account, o["Key"])]
    assert key.endswith(".parquet")
    table = _parquet(account, key)
    assert table.schema.names == [c["Name"] for c in glue_columns(account, "feedback")]
    assert table.to_pylist() == [{**row, "ground_truth": "1", "received_at": SENT_AT.replace(tzinfo=None)}]


def test_the_delivery_role_without_glue_get_table_delivers_nothing_and_logs_why(account, without) -> None:
    before = {o["Key"] for o in captures(account)}
    without("glue:")
    put_capture(account, "no-glue")
    assert {o["Key"] for o in captures(account)} == before
    error = delivery_log(account)[-1]
    assert "is not authorized to perform: glue:GetTable on resource: arn:aws:glue:" in error["message"]
    assert error["errorCode"].startswith("DataFormatConversion.")


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
    delivered = [_request_ids(account, o["Key"]) for o in captures(account, "captures/data/")]
    assert any(ids[-2:] == ["kept", "after"] for ids in delivered), delivered


def _raw(world, key: str) -> bytes:
    return world.client("s3").get_object(Bucket=world.artifact_bucket, Key=key)["Body"].read()


def _parquet(world, key: str) -> pa.Table:
    return pq.read_table(io.BytesIO(_raw(world, key)))


def _request_ids(world, key: str) -> list[str]:
    if not key.endswith(".parquet"):
        return []
    return _parquet(world, key).column("request_id").to_pylist()
