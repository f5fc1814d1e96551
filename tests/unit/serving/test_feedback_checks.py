"""/feedback only for what /predict issued: an unknown request id, a row the request did not have, a row that is
not an integer, a ground truth outside the contract's labels are refused; DynamoDB (AWS) and SQLite (local)."""

from __future__ import annotations

import stat
import time

import boto3
import pytest
from moto import mock_aws

from lambdas.predict.issued import EXPIRES, KEY, DynamoDbIssued, SqliteIssued
from lambdas.predict.sinks import JsonLinesSink
from slipstream.documents.smoke import SMOKE_CALLER_ID
from tests.unit.serving.conftest import ROW


@pytest.fixture
def checked(service, tmp_path):
    service.feedback = JsonLinesSink(str(tmp_path / "feedback.jsonl"))
    service.issued = SqliteIssued(str(tmp_path / "issued.sqlite"), retention_days=90)
    return service


def _predict(call, rows: int) -> str:
    status, _, body = call("POST", "/predict", {"instances": [ROW] * rows})
    assert status == 200
    return body["request_id"]


def _feedback(call, **body):
    return call("POST", "/feedback", {"row": 0, "ground_truth": "yes", **body})


def test_feedback_for_each_issued_row_is_stored(call, checked, tmp_path) -> None:
    request_id = _predict(call, 2)
    for row in (0, 1):
        status, _, body = _feedback(call, request_id=request_id, row=row)
        assert status == 200 and body["stored"]
    assert len((tmp_path / "feedback.jsonl").read_text().splitlines()) == 2


def test_an_unknown_request_id_is_404_and_nothing_is_stored(call, checked, tmp_path) -> None:
    _predict(call, 1)
    status, _, body = _feedback(call, request_id="invented-id")
    assert status == 404 and body["request_id"] and "invented-id" in body["detail"]
    assert body["problems"] == [{"field": "request_id", "reason": "unknown request id"}]
    assert not (tmp_path / "feedback.jsonl").exists()


def test_a_row_beyond_the_request_is_400_naming_its_row_count(call, checked) -> None:
    request_id = _predict(call, 2)
    status, _, body = _feedback(call, request_id=request_id, row=2)
    assert status == 400 and "had 2 row(s)" in body["detail"] and body["problems"][0]["field"] == "row"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"row": True}, "row"), ({"row": "0"}, "row"), ({"row": 0.0}, "row"), ({"ground_truth": "maybe"}, "ground_truth"),
     ({"ground_truth": 1}, "ground_truth"), ({"ground_truth": True}, "ground_truth")],
    ids=["bool row", "text row", "float row", "unknown label", "number label", "bool label"],
)  # fmt: skip
def test_a_value_of_the_wrong_type_is_400(call, checked, change, field) -> None:
    request_id = _predict(call, 1)
    status, _, body = call("POST", "/feedback", {"request_id": request_id, "row": 0, "ground_truth": "no", **change})
    assert status == 400 and field in {p["field"] for p in body["problems"]}, body


def test_smoke_requests_are_not_issued_for_feedback(call, checked) -> None:
    status, _, body = call("POST", "/predict", {"instances": [ROW]}, **{"X-Caller-Id": SMOKE_CALLER_ID})
    assert status == 200
    assert _feedback(call, request_id=body["request_id"])[0] == 404


def test_the_local_store_is_private_shared_and_expires(tmp_path) -> None:
    path = str(tmp_path / "issued.sqlite")
    SqliteIssued(path, 90).record("a", 3)
    assert stat.S_IMODE((tmp_path / "issued.sqlite").stat().st_mode) == 0o600
    assert SqliteIssued(path, 90).rows("a") == 3  # another API process reads what this one wrote
    expired = SqliteIssued(path, 0)
    expired.record("b", 1)
    assert expired.rows("b") is None and expired.rows("c") is None


@mock_aws
def test_the_dynamodb_store_reads_back_rows_and_ignores_expired_items() -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="issued",
        KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    store = DynamoDbIssued(client, "issued", retention_days=90)
    store.record("req-1", 4)
    assert store.rows("req-1") == 4 and store.rows("req-2") is None
    item = client.get_item(TableName="issued", Key={KEY: {"S": "req-1"}})["Item"]
    assert int(item[EXPIRES]["N"]) > time.time() + 89 * 86_400
    client.put_item(TableName="issued", Item={KEY: {"S": "old"}, "rows": {"N": "1"}, EXPIRES: {"N": "1"}})
    assert store.rows("old") is None  # TTL deletes late: an expired item still there is not trusted
