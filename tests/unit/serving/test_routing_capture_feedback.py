"""Champion/challenger routing, capture (Firehose on AWS, JSON Lines locally) and the feedback store."""

from __future__ import annotations

import json
import random
import time
from datetime import datetime

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from lambdas.predict.capture import BackgroundCapture
from lambdas.predict.documents import CachedDocument
from lambdas.predict.routing import choose_variant
from lambdas.predict.schema import ServingContract
from lambdas.predict.sinks import DynamoDbSink, FirehoseSink, JsonLinesSink
from slipstream.documents.deployment import DeploymentRecord
from slipstream.documents.smoke import SMOKE_CALLER_ID
from slipstream.monitoring.traffic import traffic_from_rows
from slipstream.warehouse.schema import captures_table
from tests.aws_roles import firehose_role_for_bucket
from tests.deployment_records import record, variant
from tests.unit.serving.conftest import CONTRACT, ROW

PASSED = record(variant("3"), variant("4"))


@pytest.mark.parametrize(
    ("deployment", "eligible"),
    [
        (PASSED, True),
        (record(variant("4"), variant("4")), False),
        (record(variant("3"), variant("4", gate="rejected")), False),
        (record(variant("3")), False),
        (record(None, variant("4")), True),
        (record(None), False),
    ],
)
def test_only_a_passed_challenger_that_differs_from_the_champion_is_eligible(deployment, eligible) -> None:
    assert deployment.challenger_eligible() is eligible


def test_weight_splits_traffic_and_a_caller_stays_on_one_variant() -> None:
    rng = random.Random(1)
    picks = [choose_variant(0.3, True, None, rng) for _ in range(2000)]
    assert 0.25 < picks.count("challenger") / len(picks) < 0.35
    callers = [f"caller-{i}" for i in range(200)]
    first = [choose_variant(0.5, True, c) for c in callers]
    assert first == [choose_variant(0.5, True, c) for c in callers]  # sticky
    assert {"champion", "challenger"} == set(first)
    assert {choose_variant(1.0, False, c) for c in callers} == {"champion"}  # not eligible: never


def test_service_routes_to_the_challenger_endpoint_and_says_so(service, runtime) -> None:
    service.endpoints["challenger"] = "m-challenger"
    service.challenger_weight = 1.0
    service.deployment = CachedDocument(
        "file:///nonexistent", 60, lambda: None, DeploymentRecord.model_validate, default=PASSED
    )
    runtime.version = None  # an endpoint that does not report its version: the deployment record's is used
    prediction = service.predict([ROW], caller_id="anyone", request_id="r1")
    assert runtime.calls[-1]["EndpointName"] == "m-challenger"
    assert (prediction.variant, prediction.body["model_version"]) == ("challenger", "4")


def _wait_for(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_capture_rows_are_the_captures_tables_columns(service, tmp_path) -> None:
    """The seam with the warehouse: one row per instance, keyed by exactly the captures table's columns (the
    Glue table and the DuckDB view are built from the same schema), and the one reader restores the features."""
    service.capture = BackgroundCapture(JsonLinesSink(str(tmp_path / "capture.jsonl")))
    second = {**ROW, "tenure": None, "plan": "basic"}
    service.predict([ROW, second], caller_id=None, request_id="req-1")
    assert service.capture.flush()
    rows = [json.loads(line) for line in (tmp_path / "capture.jsonl").read_text().splitlines()]
    contract = ServingContract.model_validate(CONTRACT)
    table = captures_table(contract.task, [(f.name, f.kind) for f in contract.features])
    assert [list(row) for row in rows] == [table.column_names] * 2
    first = rows[0]
    assert (first["request_id"], first["row"], first["variant"], first["model_version"]) == (
        "req-1",
        0,
        "champion",
        "7",
    )
    assert (first["prediction"], first["probabilities"], first["shadowed"]) == ("yes", {"no": 0.25, "yes": 0.75}, False)
    assert (first["monthly_spend"], first["tenure"], first["plan"]) == (42.5, 12, "pro")
    assert rows[1]["row"] == 1 and rows[1]["timestamp"] == first["timestamp"]
    assert datetime.fromisoformat(first["timestamp"]).utcoffset() is not None
    traffic = traffic_from_rows(rows, [f.name for f in contract.features])
    assert list(traffic.features.columns) == ["monthly spend", "tenure", "plan"]
    assert traffic.features.iloc[0].to_dict() == ROW
    assert pd.isna(traffic.features.iloc[1]["tenure"]) and traffic.features.iloc[1]["plan"] == "basic"
    assert traffic.meta[["request_id", "row", "prediction"]].values.tolist() == [
        ["req-1", 0, "yes"],
        ["req-1", 1, "yes"],
    ]


def test_the_smoke_tests_requests_are_answered_by_the_champion_and_not_captured(service, tmp_path) -> None:
    service.capture = BackgroundCapture(JsonLinesSink(str(tmp_path / "capture.jsonl")))
    service.endpoints["challenger"] = "m-challenger"
    service.challenger_weight = 0.99
    service.deployment = CachedDocument(
        "file:///nonexistent", 60, lambda: None, DeploymentRecord.model_validate, default=PASSED
    )
    prediction = service.predict([ROW], caller_id=SMOKE_CALLER_ID, request_id="smoke")
    service.predict([ROW], caller_id="someone", request_id="real")
    assert service.capture.flush()
    assert prediction.variant == "champion"
    rows = [json.loads(line) for line in (tmp_path / "capture.jsonl").read_text().splitlines()]
    assert [row["request_id"] for row in rows] == ["real"]


class _Broken:
    def put(self, records):
        raise ConnectionError("sink down")


def test_a_failing_or_full_capture_never_fails_a_prediction(service) -> None:
    service.capture = BackgroundCapture(_Broken(), max_queued=1)
    for _ in range(20):
        assert service.predict([ROW], caller_id=None, request_id="r").body["predictions"] == ["yes"]
    service.capture.flush()
    counts = service.capture.take_counts()
    assert counts["failed"] + counts["dropped"] == 20 and counts["failed"] >= 1


@mock_aws
def test_firehose_sink_puts_newline_delimited_json() -> None:
    s3, firehose = boto3.client("s3"), boto3.client("firehose")
    s3.create_bucket(Bucket="capture")
    firehose.create_delivery_stream(
        DeliveryStreamName="captured",
        S3DestinationConfiguration={
            "RoleARN": firehose_role_for_bucket("capture"),
            "BucketARN": "arn:aws:s3:::capture",
        },
    )
    sink = FirehoseSink(firehose, "captured")
    sink.put([{"request_id": "a"}])
    sink.put([{"request_id": "b"}, {"request_id": "c"}])
    # moto delivers each record to the bucket: read everything back
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="capture").get("Contents", [])]
    text = "".join(s3.get_object(Bucket="capture", Key=k)["Body"].read().decode() for k in keys)
    assert sorted(json.loads(line)["request_id"] for line in text.splitlines()) == ["a", "b", "c"]


@mock_aws
def test_feedback_goes_to_dynamodb(service) -> None:
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="feedback",
        KeySchema=[{"AttributeName": "request_id", "KeyType": "HASH"}, {"AttributeName": "row", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "request_id", "AttributeType": "S"},
            {"AttributeName": "row", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    service.feedback = DynamoDbSink(dynamodb, "feedback")
    assert service.record_feedback("req-1", 2, "yes")
    item = dynamodb.get_item(TableName="feedback", Key={"request_id": {"S": "req-1"}, "row": {"N": "2"}})["Item"]
    assert item["ground_truth"] == {"S": "yes"} and "received_at" in item


def test_feedback_route_stores_locally_and_checks_the_label(call, service, tmp_path) -> None:
    service.feedback = JsonLinesSink(str(tmp_path / "feedback.jsonl"))
    status, _, body = call("POST", "/feedback", {"request_id": "req-1", "row": 0, "ground_truth": "no"})
    assert status == 200 and body["stored"] is True
    assert json.loads((tmp_path / "feedback.jsonl").read_text())["ground_truth"] == "no"
    status, _, body = call("POST", "/feedback", {"request_id": "req 1!", "ground_truth": "maybe"})
    assert status == 400 and {p["field"] for p in body["problems"]} == {"request_id", "ground_truth"}
