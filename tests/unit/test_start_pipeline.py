"""StartPipeline's decision on a drift/quality alarm: start only on data not trained on yet, outside the
cooldown, and say why not (moto's Step Functions and S3; the emulated EventBridge path is in tests/statemachine)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from lambdas.start_pipeline.logic import start
from slipstream.steps.run_ids import run_id_for_new_data
from tests.aws_roles import service_role

ALARM = "breast-cancer-dev-champion-drift"


@pytest.fixture
def account(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3, sfn = boto3.client("s3"), boto3.client("stepfunctions")
        s3.create_bucket(Bucket="data")
        role = service_role("sfn", "states.amazonaws.com", [{"Effect": "Allow", "Action": "states:*", "Resource": "*"}])
        definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
        arn = sfn.create_state_machine(name="p", definition=definition, roleArn=role)["stateMachineArn"]
        yield {"s3": s3, "sfn": sfn, "state_machine_arn": arn, "bucket": "data", "prefix": "incoming/"}


def alarm(state: str = "ALARM", at: datetime | None = None) -> dict:
    return {
        "source": "aws.cloudwatch",
        "detail-type": "CloudWatch Alarm State Change",
        "time": (at or datetime.now(UTC)).isoformat(),
        "detail": {"alarmName": ALARM, "state": {"value": state, "reason": "Threshold Crossed"}, "previousState": {}},
    }


def upload(account: dict, key: str, body: bytes) -> str:
    return account["s3"].put_object(Bucket="data", Key=key, Body=body)["ETag"]


def executions(account: dict) -> list[dict]:
    return account["sfn"].list_executions(stateMachineArn=account["state_machine_arn"])["executions"]


def test_an_alarm_starts_a_run_on_data_not_trained_on_yet(account):
    etag = upload(account, "incoming/new.csv", b"a,b\n1,2\n")
    result = start(alarm(), **account, cooldown_hours=24)
    assert result.started and result.run_id == run_id_for_new_data(etag)
    assert result.reason == f"alarm {ALARM}: training on s3://data/incoming/new.csv"
    assert [e["name"] for e in executions(account)] == [result.run_id]


def test_an_alarm_on_data_already_trained_on_starts_nothing_and_says_so(account):
    etag = upload(account, "incoming/data.csv", b"a,b\n1,2\n")
    trained = {
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": "data"}, "object": {"key": "incoming/data.csv", "etag": etag}},
    }
    assert start(trained, **account).started
    (run,) = executions(account)
    account["sfn"].stop_execution(executionArn=run["executionArn"])  # ended: StartExecution is idempotent while RUNNING
    later = alarm(at=datetime.now(UTC) + timedelta(hours=25))  # past the cooldown: only the data stops it
    result = start(later, **account, cooldown_hours=24)
    assert not result.started and result.run_id == run_id_for_new_data(etag)
    assert result.reason == f"alarm {ALARM}: this data was already trained on (no new data since)"
    assert len(executions(account)) == 1


def test_an_alarm_within_the_cooldown_starts_nothing_even_on_new_data(account):
    upload(account, "incoming/first.csv", b"a,b\n1,2\n")
    first = start(alarm(), **account, cooldown_hours=6)
    upload(account, "incoming/second.csv", b"a,b\n3,4\n")
    account["s3"].delete_object(Bucket="data", Key="incoming/first.csv")  # same second: LastModified would tie
    result = start(alarm(at=datetime.now(UTC) + timedelta(hours=5)), **account, cooldown_hours=6)
    assert not result.started and result.run_id is None
    assert f"run {first.run_id} started at" in result.reason and "within the 6 h cooldown" in result.reason
    after = start(alarm(at=datetime.now(UTC) + timedelta(hours=7)), **account, cooldown_hours=6)
    assert after.started and after.run_id != first.run_id and after.reason.endswith("incoming/second.csv")


def test_an_alarm_without_data_or_without_retraining_on_starts_nothing(account):
    empty = start(alarm(), **account, cooldown_hours=24)
    assert not empty.started and empty.reason == f"alarm {ALARM}: no data under s3://data/incoming/ yet"
    upload(account, "incoming/new.csv", b"a,b\n1,2\n")
    off = start(alarm(), **account)  # the stage does not retrain on alarms (no RETRAIN_COOLDOWN_HOURS)
    assert not off.started and "retraining on alarms is off" in off.reason
    recovered = start(alarm(state="OK"), **account, cooldown_hours=24)
    assert not recovered.started and recovered.reason == f"alarm {ALARM} is OK, not ALARM"
    assert executions(account) == []


def test_a_malformed_alarm_event_is_refused_by_name():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="alarmName"):
        start(
            {
                "detail-type": "CloudWatch Alarm State Change",
                "time": "2026-12-01T00:00:00Z",
                "detail": {"state": {"value": "ALARM"}},
            },
            s3=None,
            sfn=None,
            state_machine_arn="arn",
            bucket="b",
            prefix="p/",
            cooldown_hours=1,
        )
