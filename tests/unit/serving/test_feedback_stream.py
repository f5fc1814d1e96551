"""Feedback on AWS goes to the DynamoDB table (what the drift Lambda reads) and to the warehouse's feedback
stream (Firehose -> the `feedback` table): the wiring picks both from FEEDBACK_TABLE + FEEDBACK_STREAM."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from lambdas.predict import wiring
from lambdas.predict.env import PredictEnv
from lambdas.predict.sinks import DynamoDbSink, EverySink, FirehoseSink
from tests.aws_roles import firehose_role_for_bucket

BASE = {
    "POWERTOOLS_SERVICE_NAME": "predict",
    "CONTRACT_URI": "s3://a/contract.json",
    "CHAMPION_ENDPOINT": "m",
    "FEEDBACK_TABLE": "feedback",
    "ISSUED_TABLE": "issued",
}
ROW = {"request_id": "r-1", "row": 0, "ground_truth": "yes", "received_at": "2026-12-01T13:16:31.123+00:00"}


def test_the_stream_needs_the_table() -> None:
    with pytest.raises(ValueError, match="FEEDBACK_STREAM needs FEEDBACK_TABLE"):
        PredictEnv.model_validate({**BASE, "FEEDBACK_TABLE": None, "FEEDBACK_STREAM": "s"})


@pytest.mark.parametrize(
    ("store", "issued"), [("FEEDBACK_TABLE", "ISSUED_TABLE"), ("FEEDBACK_PATH", "ISSUED_PATH")], ids=["aws", "local"]
)
def test_a_feedback_store_needs_the_issued_requests_it_checks_against(store, issued) -> None:
    env = {**BASE, "FEEDBACK_TABLE": None, "ISSUED_TABLE": None, store: "feedback"}
    with pytest.raises(ValueError, match=f"{store} needs {issued}"):
        PredictEnv.model_validate(env)


@mock_aws
def test_feedback_reaches_the_table_and_the_stream() -> None:
    boto3.client("s3").create_bucket(Bucket="warehouse")
    boto3.client("firehose").create_delivery_stream(
        DeliveryStreamName="feedback",
        ExtendedS3DestinationConfiguration={
            "RoleARN": firehose_role_for_bucket("warehouse"),
            "BucketARN": "arn:aws:s3:::warehouse",
            "Prefix": "feedback/data/",
        },
    )
    keys = [("request_id", "HASH", "S"), ("row", "RANGE", "N")]
    boto3.client("dynamodb").create_table(
        TableName="feedback",
        KeySchema=[{"AttributeName": n, "KeyType": k} for n, k, _ in keys],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, _, t in keys],
        BillingMode="PAY_PER_REQUEST",
    )
    wiring._client.cache_clear()
    sink = wiring._feedback(PredictEnv.model_validate({**BASE, "FEEDBACK_STREAM": "feedback"}))
    assert isinstance(sink, EverySink)
    assert [type(s) for s in sink.sinks] == [DynamoDbSink, FirehoseSink]  # the table first: the drift Lambda's
    sink.put([ROW])
    item = boto3.client("dynamodb").get_item(TableName="feedback", Key={"request_id": {"S": "r-1"}, "row": {"N": "0"}})
    assert item["Item"]["ground_truth"] == {"S": "yes"}
    s3 = boto3.client("s3")
    [stored] = s3.list_objects_v2(Bucket="warehouse", Prefix="feedback/data/")["Contents"]
    assert json.loads(s3.get_object(Bucket="warehouse", Key=stored["Key"])["Body"].read()) == ROW
    wiring._client.cache_clear()


def test_without_the_stream_feedback_goes_to_the_table_only() -> None:
    assert isinstance(wiring._feedback(PredictEnv.model_validate(BASE)), DynamoDbSink)
