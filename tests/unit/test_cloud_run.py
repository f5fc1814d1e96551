"""The deploy workflow's "run the pipeline once": upload under the data prefix, follow the execution it starts."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from slipstream.cli.cloud_run import export_value, upload_dataset, wait_for
from slipstream.config import parse_config
from slipstream.errors import SlipstreamError
from slipstream.steps.run_ids import run_id_for_new_data
from tests.aws_roles import states_role

PASS_STATE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


@pytest.fixture
def aws():
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


def test_upload_is_content_addressed(aws, tmp_path: Path) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="data")
    config = parse_config(
        {"name": "bc", "data": {"source": "sklearn:iris", "target": "target", "task": "classification"}},
        base_dir=tmp_path,
    )
    first = upload_dataset(config, s3, "data", stage="dev")
    second = upload_dataset(config, s3, "data", stage="dev")
    assert first == second  # same bytes, same key, same ETag: the trigger names the same execution
    assert first[0].startswith("incoming/bc-") and first[0].endswith(".csv")


def test_upload_goes_under_the_stage_data_prefix_its_trigger_watches(aws, tmp_path: Path) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="data")
    data = {"source": "sklearn:iris", "target": "target", "task": "classification"}
    stages = {"prod": {"data_prefix": "landing/iris/"}}
    config = parse_config({"name": "bc", "data": data, "stages": stages}, base_dir=tmp_path)
    key, _ = upload_dataset(config, s3, "data", stage="prod")
    assert key.startswith("landing/iris/bc-")
    assert upload_dataset(config, s3, "data", stage="dev")[0].startswith("incoming/bc-")  # the default prefix


def test_follows_the_execution_the_trigger_started(aws) -> None:
    sfn = boto3.client("stepfunctions")
    arn = sfn.create_state_machine(name="pipeline", definition=PASS_STATE, roleArn=states_role())["stateMachineArn"]
    name = run_id_for_new_data('"0123abcd"')
    sfn.start_execution(stateMachineArn=arn, name=name, input="{}")
    seen: list[str] = []
    assert wait_for(sfn, arn, name, timeout_s=10, poll_s=0.05, say=seen.append) == "SUCCEEDED"
    assert seen[-1] == f"{name}: SUCCEEDED"


def test_gives_up_when_nothing_starts(aws) -> None:
    sfn = boto3.client("stepfunctions")
    arn = sfn.create_state_machine(name="pipeline", definition=PASS_STATE, roleArn=states_role())["stateMachineArn"]
    assert wait_for(sfn, arn, "data-never", timeout_s=0.2, poll_s=0.05, say=lambda _: None) == "TIMED_OUT"


def test_missing_stack_is_a_clear_error(aws) -> None:
    with pytest.raises(SlipstreamError, match="stack nope-storage not found: deploy it first"):
        export_value(boto3.client("cloudformation"), "nope-storage", "x")


def test_force_retrains_data_already_trained_on_and_otherwise_follows_the_trigger(aws) -> None:
    from datetime import UTC, datetime, timedelta

    from slipstream.cli.cloud_run import run_to_follow
    from slipstream.documents.run import DataLocation

    sfn = boto3.client("stepfunctions")
    arn = sfn.create_state_machine(name="pipeline", definition=PASS_STATE, roleArn=states_role())["stateMachineArn"]
    data, etag = DataLocation(bucket="data", key="incoming/bc.csv"), '"0123abcd"'
    earlier = datetime.now(UTC) - timedelta(minutes=1)
    assert run_to_follow(sfn, arn, data, etag, uploaded=earlier) == run_id_for_new_data(etag)  # new: the trigger's
    sfn.start_execution(stateMachineArn=arn, name=run_id_for_new_data(etag), input="{}")  # the trigger starts it
    assert run_to_follow(sfn, arn, data, etag, uploaded=earlier) == run_id_for_new_data(etag)  # this upload's run
    later = datetime.now(UTC) + timedelta(minutes=1)  # uploaded again after that run: trained on before
    forced = run_to_follow(sfn, arn, data, etag, uploaded=later)
    assert forced.startswith("force-") and forced.endswith("-0123abcd")
    (execution,) = [e for e in sfn.list_executions(stateMachineArn=arn)["executions"] if e["name"] == forced]
    body = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert body == {"run_id": forced, "data": {"bucket": "data", "key": "incoming/bc.csv"}}
