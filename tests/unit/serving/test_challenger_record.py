"""RecordDeployment's challenger side: CheckExperiment reads the record the pipeline and the experiment Lambda
write; RecordChallenger keeps the champion and refuses a second challenger (one experiment at a time)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from lambdas.record_deployment.experiment import ExperimentRunning, check_experiment, with_challenger
from slipstream.documents.experiment import ExperimentCheckRequest
from tests.deployment_records import record, variant

URI = "s3://artifacts/deployment/deployment.json"


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket="artifacts")
        yield client


def check(s3) -> dict:
    return check_experiment(ExperimentCheckRequest(run_id="r9"), s3=s3, deployment_uri=URI).model_dump()


def test_no_record_and_no_challenger_mean_no_experiment(s3) -> None:
    assert check(s3)["running"] is False
    s3.put_object(Bucket="artifacts", Key="deployment/deployment.json", Body=record(variant("1")).to_json())
    assert check(s3) == {"running": False, "version": None, "endpoint": None, "message": "no experiment is running"}


def test_a_running_challenger_is_named_with_how_to_end_it(s3) -> None:
    running = record(variant("1"), variant("2", endpoint="m-dev-challenger"))
    s3.put_object(Bucket="artifacts", Key="deployment/deployment.json", Body=running.to_json())
    slot = check(s3)
    assert slot["running"] is True and slot["version"] == "2" and slot["endpoint"] == "m-dev-challenger"
    assert "version 2 is the challenger on endpoint m-dev-challenger" in slot["message"]
    assert "slipstream experiment promote|stop --stage" in slot["message"]


def test_the_challenger_joins_the_champion_and_a_second_one_is_refused() -> None:
    champion = record(variant("1"))
    joined = with_challenger(champion, variant("2"))
    assert joined.champion == champion.champion and joined.challenger.version == "2"
    with pytest.raises(ExperimentRunning, match="version 2 is the challenger"):
        with_challenger(joined, variant("3"))
    with pytest.raises(ValueError, match="a challenger needs a champion"):
        with_challenger(None, variant("2"))
