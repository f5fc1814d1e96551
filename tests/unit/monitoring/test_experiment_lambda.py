"""The experiment Lambda on moto: captures written by the predict Lambda's own Firehose sink, feedback by its
DynamoDB sink, the decision read back from the topic (an SQS subscription) and the metrics from the EMF
documents it prints. SageMaker's endpoint calls go to a recorder (tests/statemachine runs real endpoints)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdas.common.env import load_env
from lambdas.experiment import handler as experiment
from lambdas.predict.service import capture_rows
from lambdas.predict.sinks import DynamoDbSink, FirehoseSink
from slipstream.config import parse_config
from slipstream.documents.deployment import DeploymentRecord
from slipstream.monitoring.alarm import notice_from_sns
from slipstream.warehouse.schema import capture_columns
from tests.aws_roles import firehose_role_for_bucket
from tests.deployment_records import record, variant
from tests.unit.monitoring.test_drift_lambda import emitted

RECORD_KEY = "deployment/deployment.json"
PACKAGES = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-dev"
# Labelled outcomes per variant for a clear effect (95% right against 60%). The always-valid interval excludes 0
# from about 150 on (at 100 it is still "keep collecting"); the outcomes are a deterministic pattern, so the
# decision cannot vary between runs. Each outcome is a moto put_item through the predict Lambda's own sink:
# the count is most of these tests' cost (300 before).
PER_VARIANT = 200


def config(auto_decide: bool) -> Any:
    raw = {
        "name": "churn",
        "data": {"source": "x.csv", "target": "y", "task": "classification"},
        "gate": {"metric": "accuracy", "threshold": 0.5, "promote": "challenger"},
        "experiment": {"auto_decide": auto_decide, "min_samples": 30, "weight": 0.5},
    }
    return parse_config(raw, base_dir=Path("."))


class SageMaker:
    """Records the endpoint and package calls; the champion endpoint takes whatever config it is given."""

    def __init__(self, keeps_old_config: bool = False) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.configs = {"churn-dev": "churn-dev-run-1", "churn-dev-challenger": "churn-dev-run-2"}
        self.keeps_old_config = keeps_old_config

    def describe_endpoint(self, EndpointName: str) -> dict[str, Any]:  # boto3's names
        self.calls.append(("describe_endpoint", {"EndpointName": EndpointName}))
        return {"EndpointConfigName": self.configs[EndpointName], "EndpointStatus": "InService"}

    def update_endpoint(self, **kwargs: Any) -> None:
        self.calls.append(("update_endpoint", kwargs))
        if not self.keeps_old_config:
            self.configs[kwargs["EndpointName"]] = kwargs["EndpointConfigName"]

    def get_waiter(self, name: str) -> Any:
        calls = self.calls

        class Waiter:
            def wait(self, **kwargs: Any) -> None:
                calls.append((f"wait:{name}", kwargs))

        return Waiter()

    def update_model_package(self, **kwargs: Any) -> None:
        self.calls.append(("update_model_package", kwargs))

    def delete_endpoint(self, **kwargs: Any) -> None:
        self.calls.append(("delete_endpoint", kwargs))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="artifacts")
        started = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        champion = variant("1", endpoint="churn-dev")
        deployment = record(champion, variant("2", endpoint="churn-dev-challenger", deployed_at=started))
        s3.put_object(Bucket="artifacts", Key=RECORD_KEY, Body=deployment.to_json())
        role = firehose_role_for_bucket("artifacts")
        boto3.client("firehose").create_delivery_stream(
            DeliveryStreamName="capture",
            ExtendedS3DestinationConfiguration={
                "RoleARN": role,
                "BucketARN": "arn:aws:s3:::artifacts",
                "Prefix": "captures/data/",
            },
        )
        keys = [("request_id", "S", "HASH"), ("row", "N", "RANGE")]
        boto3.client("dynamodb").create_table(
            TableName="feedback",
            KeySchema=[{"AttributeName": n, "KeyType": k} for n, _, k in keys],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t, _ in keys],
            BillingMode="PAY_PER_REQUEST",
        )
        topic = boto3.client("sns").create_topic(Name="notifications")["TopicArn"]
        sqs = boto3.client("sqs")
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        boto3.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        sagemaker = SageMaker()
        env = {
            "POWERTOOLS_SERVICE_NAME": "experiment",
            "STAGE": "dev",
            "CAPTURE_BUCKET": "artifacts",
            "CAPTURE_PREFIX": "captures/data/",
            "DEPLOYMENT_URI": f"s3://artifacts/{RECORD_KEY}",
            "FEEDBACK_TABLE": "feedback",
            "TOPIC_ARN": topic,
            "CHAMPION_ENDPOINT": "churn-dev",
            "CHALLENGER_ENDPOINT": "churn-dev-challenger",
            "MODEL_PACKAGE_PREFIX": PACKAGES,
            "RECORD_TTL_SECONDS": "0",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        experiment.client.cache_clear()
        real = experiment.client
        monkeypatch.setattr(
            experiment, "client", lambda service: sagemaker if service == "sagemaker" else real(service)
        )
        yield {"s3": s3, "sqs": sqs, "queue": queue, "sagemaker": sagemaker, "monkeypatch": monkeypatch}
        load_env.cache_clear()
        real.cache_clear()


def configure(account: dict[str, Any], *, auto_decide: bool) -> None:
    account["monkeypatch"].setenv("SLIPSTREAM_CONFIG", config(auto_decide).model_dump_json())
    load_env.cache_clear()


def serve(requests: int, champion_right: float, challenger_right: float) -> None:
    """Alternate requests between the variants (weight 0.5); each is right with its own rate; all get feedback."""
    firehose, feedback = (
        FirehoseSink(boto3.client("firehose"), "capture"),
        DynamoDbSink(boto3.client("dynamodb"), "feedback"),
    )
    captures, answers = [], []
    for n in range(requests):
        name, version, right = ("champion", "1", champion_right) if n % 2 else ("challenger", "2", challenger_right)
        correct = (n * 7919 % 1000) / 1000 < right  # deterministic, spread over the run
        body = {"request_id": f"r{n}", "variant": name, "model_version": version, "predictions": ["yes"]}
        captures += capture_rows(body, f"churn-dev-{name}", 20.0, [{"x": n}], capture_columns(["x"]))
        answers.append({"request_id": f"r{n}", "row": 0, "ground_truth": "yes" if correct else "no"})
    for start in range(0, len(captures), 200):
        firehose.put(captures[start : start + 200])
    feedback.put(answers)


def violations(operation: str, params: dict[str, Any]) -> list[Any]:
    from slipstream.local.strict import params as strict

    return strict.violations(boto3.client("sagemaker").meta.service_model.operation_model(operation), params)


def invoke(lambda_context: Any, action: str = "analyse", decided_by: str | None = None) -> dict[str, Any]:
    return experiment.handler({"action": action, "decided_by": decided_by}, lambda_context)


def posted(account: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    messages = account["sqs"].receive_message(QueueUrl=account["queue"], MaxNumberOfMessages=10).get("Messages", [])
    return [(json.loads(m["Body"])["Subject"], json.loads(json.loads(m["Body"])["Message"])) for m in messages]


def deployment(account: dict[str, Any]) -> DeploymentRecord:
    body = account["s3"].get_object(Bucket="artifacts", Key=RECORD_KEY)["Body"].read()
    return DeploymentRecord.model_validate_json(body)


def test_a_decided_experiment_is_published_and_posted_but_not_acted_on_without_auto_decide(
    account, lambda_context, capsys
) -> None:
    configure(account, auto_decide=False)
    serve(2 * PER_VARIANT, champion_right=0.6, challenger_right=0.95)
    answer = invoke(lambda_context)
    assert answer["decision"] == "challenger better" and answer["acted"] == "none" and answer["running"]
    points = {(p["name"], p.get("Variant")): p["value"] for p in emitted(capsys.readouterr().out)}
    assert points[("ExperimentDecision", None)] == 2  # DECISION_CODES["challenger better"]
    assert points[("ExperimentEffectLower", None)] > 0 and points[("ExperimentEffect", None)] > 0.2
    assert points[("ExperimentAssigned", "champion")] == points[("ExperimentAssigned", "challenger")] == PER_VARIANT
    assert points[("ExperimentLabelled", "challenger")] == PER_VARIANT and points[("ExperimentPValue", None)] < 0.05
    ((subject, message),) = posted(account)
    assert subject == "[churn-dev] experiment: challenger better"
    assert message["experiment"]["acted"] == "none" and message["experiment"]["challenger_version"] == "2"
    assert account["sagemaker"].calls == []  # nothing changed
    assert deployment(account).challenger is not None


def test_the_decision_message_renders_as_a_slack_notice_with_the_figures(account, lambda_context) -> None:
    configure(account, auto_decide=False)
    serve(2 * PER_VARIANT, champion_right=0.6, challenger_right=0.95)
    invoke(lambda_context)
    ((subject, message),) = posted(account)
    notice = notice_from_sns(subject, json.dumps(message))
    assert notice.state == "challenger better" and notice.runbook == "experiment-decided"
    assert notice.reason == message["experiment"]["reason"] and "challenger" in notice.reason
    assert notice.details["versions"] == "champion 1, challenger 2"
    assert (
        notice.details["outcomes"] == "champion 200 of 200, challenger 200 of 200"  # PER_VARIANT
    )
    assert notice.details["interval"].startswith("[0.")  # the interval excludes 0: the effect is positive


def test_auto_decide_promotes_the_challenger_to_the_champion_endpoint(account, lambda_context) -> None:
    configure(account, auto_decide=True)
    serve(2 * PER_VARIANT, champion_right=0.6, challenger_right=0.95)
    answer = invoke(lambda_context)
    assert answer["acted"] == "promote" and answer["decided_by"] == "experiment-lambda"
    sagemaker = account["sagemaker"]
    assert sagemaker.names() == [
        "describe_endpoint",
        "update_endpoint",
        "wait:endpoint_in_service",
        "describe_endpoint",
        "update_model_package",
        "delete_endpoint",
    ]
    assert sagemaker.calls[1][1] == {"EndpointName": "churn-dev", "EndpointConfigName": "churn-dev-run-2"}
    package = sagemaker.calls[4][1]
    assert package["ModelPackageArn"] == f"{PACKAGES}/2" and package["ModelApprovalStatus"] == "Approved"
    metadata = package["CustomerMetadataProperties"]
    assert metadata["experiment"] == "promoted" and metadata["experiment_decided_by"] == "experiment-lambda"
    assert metadata["experiment_decision"] == "challenger better" and float(metadata["experiment_effect"]) > 0.2
    assert violations("UpdateModelPackage", package) == []  # SageMaker's patterns and lengths
    assert sagemaker.calls[5][1] == {"EndpointName": "churn-dev-challenger"}
    after = deployment(account)
    assert after.challenger is None
    assert after.champion.version == "2" and after.champion.endpoint == "churn-dev"  # the champion endpoint
    (decision,) = after.decisions
    assert decision.action == "promote" and decision.champion_version == "1" and decision.challenger_version == "2"
    assert (
        decision.lower is not None
        and decision.lower > 0
        and decision.labelled == {"champion": PER_VARIANT, "challenger": PER_VARIANT}
    )
    ((subject, message),) = posted(account)
    assert subject == "[churn-dev] experiment: challenger promoted" and message["experiment"]["acted"] == "promote"


def test_a_person_stops_the_experiment_whatever_the_test_says(account, lambda_context) -> None:
    configure(account, auto_decide=False)
    serve(100, champion_right=0.8, challenger_right=0.8)
    caller = "arn:aws:sts::123456789012:assumed-role/ops/alice"
    answer = invoke(lambda_context, "stop", decided_by=caller)
    assert answer["acted"] == "stop" and answer["decision"] == "keep collecting"
    assert account["sagemaker"].names() == ["update_model_package", "delete_endpoint"]  # the champion untouched
    package = account["sagemaker"].calls[0][1]
    assert package["ModelApprovalStatus"] == "Rejected"
    assert package["CustomerMetadataProperties"]["experiment"] == "stopped"
    assert package["CustomerMetadataProperties"]["experiment_decided_by"] == caller
    after = deployment(account)
    assert after.challenger is None and after.champion.version == "1"
    assert after.decisions[0].decided_by == caller and after.decisions[0].action == "stop"
    assert posted(account)[0][1]["experiment"]["decided_by"] == caller


def test_keep_collecting_publishes_metrics_and_stays_quiet(account, lambda_context, capsys) -> None:
    configure(account, auto_decide=True)
    serve(20, champion_right=0.6, challenger_right=0.95)  # 10 outcomes each, below min_samples
    answer = invoke(lambda_context)
    assert answer["decision"] == "keep collecting" and answer["acted"] == "none"
    assert any(p["name"] == "ExperimentDecision" and p["value"] == 0 for p in emitted(capsys.readouterr().out))
    assert posted(account) == [] and account["sagemaker"].calls == []


def test_traffic_before_the_experiment_started_is_not_counted(account, lambda_context) -> None:
    """Champion-only traffic from before the challenger was deployed would fail the sample-ratio check."""
    configure(account, auto_decide=False)
    serve(2 * PER_VARIANT, champion_right=0.6, challenger_right=0.95)
    s3 = account["s3"]
    current = deployment(account)
    later = current.challenger.model_copy(update={"deployed_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()})
    s3.put_object(Bucket="artifacts", Key=RECORD_KEY, Body=current.model_copy(update={"challenger": later}).to_json())
    assert invoke(lambda_context)["decision"] == "keep collecting"  # every row predates the experiment


def test_a_failed_promotion_changes_nothing_else(account, lambda_context) -> None:
    configure(account, auto_decide=True)
    account["sagemaker"].keeps_old_config = True  # SageMaker keeps the old config when an update fails
    serve(2 * PER_VARIANT, champion_right=0.6, challenger_right=0.95)
    with pytest.raises(RuntimeError, match="kept config churn-dev-run-1 instead of churn-dev-run-2"):
        invoke(lambda_context)
    assert "update_model_package" not in account["sagemaker"].names()
    assert deployment(account).challenger is not None  # the experiment is still running


def test_no_experiment_running(account, lambda_context) -> None:
    configure(account, auto_decide=True)
    account["s3"].put_object(Bucket="artifacts", Key=RECORD_KEY, Body=record(variant("1")).to_json())
    assert invoke(lambda_context) == {**invoke(lambda_context), "running": False, "acted": "none"}
    with pytest.raises(ValueError, match="no experiment is running on churn"):
        invoke(lambda_context, "promote", decided_by="someone")
