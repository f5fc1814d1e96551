"""The pipeline Lambdas' logic with moto/stub clients (their handlers only parse and delegate)."""

from __future__ import annotations

import json
from datetime import datetime

import boto3
import pytest
from moto import mock_aws

from lambdas.common.env import ConfigEnv
from lambdas.quality_gate.logic import judge
from lambdas.start_pipeline.logic import run_for_new_object, start
from slipstream.config import load_config
from slipstream.documents.gate import CardSources, GateRequest
from slipstream.documents.run import ObjectCreated
from slipstream.local.strict.model_packages import model_card_error
from tests.aws_roles import service_role


@pytest.fixture(autouse=True)
def _fake_aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)


def _machine_role() -> str:
    """A role Step Functions may assume: the account refuses a state machine any other role (its trust policy)."""
    return service_role("sfn", "states.amazonaws.com", [{"Effect": "Allow", "Action": "states:*", "Resource": "*"}])


def _object_created(etag: str, key: str = "incoming/data.csv") -> dict:
    return {
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": "data"}, "object": {"key": key, "etag": etag}},
    }


@mock_aws
def test_same_data_twice_starts_one_execution():
    sfn, s3 = boto3.client("stepfunctions"), boto3.client("s3")
    role = _machine_role()
    arn = sfn.create_state_machine(
        name="p", definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}), roleArn=role
    )["stateMachineArn"]
    args = {"s3": s3, "sfn": sfn, "state_machine_arn": arn, "bucket": "data", "prefix": "incoming/"}
    first = start(_object_created('"9b2cf535f27731c974343645a3985328"'), **args)
    again = start(_object_created('"9b2cf535f27731c974343645a3985328"', key="incoming/copy.csv"), **args)
    assert first.started and first.run_id == "data-9b2cf535f27731c974343645"
    assert not again.started and again.run_id == first.run_id
    assert len(sfn.list_executions(stateMachineArn=arn)["executions"]) == 1


@mock_aws
def test_schedule_trains_the_newest_object_once():
    s3, sfn = boto3.client("s3"), boto3.client("stepfunctions")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="incoming/old.csv", Body=b"a,b\n1,2\n")
    s3.put_object(Bucket="data", Key="incoming/new.csv", Body=b"a,b\n3,4\n")
    arn = sfn.create_state_machine(
        name="p",
        definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}),
        roleArn=_machine_role(),
    )["stateMachineArn"]
    event = {"detail-type": "Scheduled Event", "time": "2026-11-27T06:00:00Z"}
    result = start(event, s3=s3, sfn=sfn, state_machine_arn=arn, bucket="data", prefix="incoming/")
    assert result.started and result.run_id.startswith("data-")  # named as the upload's own trigger names it
    execution = sfn.list_executions(stateMachineArn=arn)["executions"][0]
    body = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert body["data"]["key"] == "incoming/new.csv"
    # A week later, that run long over and the data unchanged: the same run id, refused, nothing retrained.
    sfn.stop_execution(executionArn=execution["executionArn"])  # ended (a RUNNING one would be idempotent)
    later = start(
        {**event, "time": "2026-12-04T06:00:00Z"},
        s3=s3,
        sfn=sfn,
        state_machine_arn=arn,
        bucket="data",
        prefix="incoming/",
    )
    assert not later.started and later.run_id == result.run_id and "already trained on" in later.reason
    assert len(sfn.list_executions(stateMachineArn=arn)["executions"]) == 1


@mock_aws
def test_quality_gate_reads_the_evaluation_from_s3():
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="artifacts")
    evaluation = {"metrics": {"roc_auc": 0.99}, "champion_metrics": None, "behaviour": {"passed": True, "tests": []}}
    s3.put_object(Bucket="artifacts", Key="runs/r1/evaluation/evaluation.json", Body=json.dumps(evaluation).encode())
    contract = {"features": [{"name": "x", "kind": "numeric"}]}
    s3.put_object(Bucket="artifacts", Key="runs/r1/contract.json", Body=json.dumps(contract).encode())
    config = load_config("slipstream.toml")
    sources = CardSources(
        data_uri="s3://data/incoming/cancer (v2).csv",
        data_sha256="ab" * 32,
        git_commit="c0ffee",
        config_sha256="cd" * 32,
        training_job="job-r1-train",
        model_artifact="s3://artifacts/runs/r1/model/job-r1-train/output/model.tar.gz",
        contract_uri="s3://artifacts/runs/r1/contract.json",
    )
    request = GateRequest(run_id="r1", evaluation_uri="s3://artifacts/runs/r1/evaluation/evaluation.json", card=sources)
    decision = judge(request, config, s3=s3)
    assert decision.passed
    card = json.loads(decision.model_card or "")
    assert model_card_error({"ModelCardContent": decision.model_card}) is None
    assert card["model_overview"]["model_artifact"] == [sources.model_artifact]
    details = card["additional_information"]["custom_details"]
    assert details["git.commit"] == "c0ffee" and details["data.source"] == sources.data_uri
    assert details["training.job"] == "job-r1-train" and details["slipstream.run_id"] == "r1"
    evaluated = card["evaluation_details"][0]
    assert evaluated["metadata"]["gate.decision"] == "passed"
    groups = {g["name"]: {m["name"]: m["value"] for m in g["metric_data"]} for g in evaluated["metric_groups"]}
    assert groups["held-out metrics"] == {"roc_auc": 0.99} and groups["quality gate"]["passed"] is True


def test_config_env_round_trips_the_config(monkeypatch):
    config = load_config("slipstream.toml")
    env = ConfigEnv.model_validate({"POWERTOOLS_SERVICE_NAME": "x", "SLIPSTREAM_CONFIG": config.model_dump_json()})
    assert env.config(base_dir=config.base_dir) == config


HANDLERS = ["validate_data", "quality_gate", "smoke_test", "start_pipeline"]


@pytest.mark.parametrize("name", HANDLERS)
def test_handler_imports_and_its_asset_holds_what_it_imports(name):
    import importlib

    from cdk.shared.lambda_asset import stage_lambda
    from cdk.shared.settings import PROJECT_ROOT

    assert callable(importlib.import_module(f"lambdas.{name}.handler").handler)
    staged = stage_lambda(PROJECT_ROOT, name)
    assert (staged / "lambdas" / name / "handler.py").is_file()
    assert (staged / "lambdas" / "common" / "env.py").is_file()
    assert (staged / "slipstream" / "config.py").is_file()
    assert not (staged / "slipstream" / "cli.py").exists(), "the CLI needs typer/rich, which Lambda lacks"


@mock_aws
def test_record_deployment_writes_the_champion_record_serving_reads():
    from lambdas.record_deployment.logic import record_deployment
    from slipstream.documents.gate import GateDecision
    from slipstream.documents.record import RecordRequest

    config = load_config("slipstream.toml")
    s3, sagemaker = boto3.client("s3"), boto3.client("sagemaker")
    s3.create_bucket(Bucket="artifacts")
    documents = {
        "evaluation.json": {"metrics": {"roc_auc": 0.99, "accuracy": 0.95, "label": "x"}, "n_test_rows": 10},
        "contract.json": {"features": [{"name": "mean radius", "kind": "numeric"}], "labels": ["a", "b"]},
        "validation.json": {"rows": 50},
    }
    for name, document in documents.items():
        s3.put_object(Bucket="artifacts", Key=f"runs/r1/{name}", Body=json.dumps(document).encode())
    sagemaker.create_model_package_group(ModelPackageGroupName="g")
    arn = sagemaker.create_model_package(ModelPackageGroupName="g", ModelApprovalStatus="Approved")["ModelPackageArn"]
    gate = GateDecision(
        passed=True,
        metric="roc_auc",
        value=0.99,
        threshold=0.9,
        champion_value=None,
        baseline=None,
        champion=None,
        reasons=["ok"],
        baseline_figures="none",
        champion_figures="none",
    )
    request = RecordRequest(
        run_id="r1",
        endpoint_name="breast-cancer-dev",
        model_package_arn=arn,
        gate=gate,
        data_uri="s3://data/incoming/cancer.csv",
        data_sha256="ab" * 32,
        evaluation_uri="s3://artifacts/runs/r1/evaluation.json",
        contract_uri="s3://artifacts/runs/r1/contract.json",
        baseline_uri="s3://artifacts/runs/r1/baseline.json",
        report_uri="s3://artifacts/runs/r1/validation.json",
    )

    output = record_deployment(
        request, config, s3=s3, sagemaker=sagemaker, deployment_uri="s3://artifacts/deployment/deployment.json"
    )

    record = json.loads(s3.get_object(Bucket="artifacts", Key="deployment/deployment.json")["Body"].read())
    assert output.version == "1" and record["challenger"] is None
    champion = record["champion"]
    assert champion["version"] == "1" and champion["gate"] == "passed" and champion["run_id"] == "r1"
    assert champion["metrics"] == {"roc_auc": 0.99, "accuracy": 0.95}  # numbers only
    assert champion["baseline_uri"] == "s3://artifacts/runs/r1/baseline.json"
    assert datetime.fromisoformat(champion["registered_at"]).tzinfo is not None
    assert "ab" * 32 in champion["model_card"] and champion["git_commit"] is None


def test_the_new_data_key_is_decoded_as_s3_encodes_it_in_events():
    event = ObjectCreated.model_validate(_object_created('"e"', key="incoming/team+a/M%C3%A4rz%2BQ1.csv"))
    assert run_for_new_object(event).data.key == "incoming/team a/März+Q1.csv"
