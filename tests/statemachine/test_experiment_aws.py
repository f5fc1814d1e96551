"""An A/B experiment through the synthesized state machine and the experiment Lambda, on the strict emulated
account (`gate.promote = "challenger"`, `auto_decide` on): the first passing model becomes the champion; the
second goes to its own endpoint as the challenger and into the record; a third while that runs is refused;
then the experiment Lambda, on captures and feedback seeded as the predict Lambda writes them, decides and
promotes: the champion endpoint takes the challenger's config and the challenger endpoint is deleted.

Four steps in one account (~2 min): the module's fixture runs them in order, each test reads one step.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdas.predict.service import capture_rows
from slipstream.config import load_config
from slipstream.documents.deployment import DeploymentRecord
from slipstream.local.stepfunctions.emulation import emulated_pipeline, upload_dataset
from slipstream.warehouse.schema import capture_columns
from tests.statemachine.conftest import REPO
from tests.statemachine.scenarios import Pipeline

pytestmark = pytest.mark.xdist_group("statemachine-experiment-aws")  # its own account: see conftest.py
CHALLENGER = "breast-cancer-dev-challenger"
CHAMPION = "breast-cancer-dev"


def challenger_config(folder: Path):
    text = (REPO / "slipstream.toml").read_text()
    text = text.replace("[gate]\n", '[gate]\npromote = "challenger"\n', 1)
    text += "\n[experiment]\nauto_decide = true\nmin_samples = 30\n"
    (folder / "slipstream.toml").write_text(text)
    return load_config(folder / "slipstream.toml")


@pytest.fixture(scope="module")
def experiment(tmp_path_factory, probe):
    config = challenger_config(tmp_path_factory.mktemp("experiment"))
    with emulated_pipeline(config) as world:
        pipeline, good = Pipeline(world, probe), upload_dataset(world, config)
        steps = {"first": pipeline.run("first", good)}
        steps["second"] = pipeline.run("second", good)
        steps["challenger_endpoint"] = describe(world, CHALLENGER)
        steps["third"] = pipeline.run("third", good)
        seed_traffic(world, requests=400)
        lambda_ = world.client("lambda")
        name = world.functions["experiment"]
        variables = lambda_.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
        quick = {**variables, "RECORD_TTL_SECONDS": "0", "ENDPOINT_POLL_SECONDS": "0.2"}  # seconds, not minutes
        lambda_.update_function_configuration(FunctionName=name, Environment={"Variables": quick})
        response = lambda_.invoke(FunctionName=name, Payload=json.dumps({"action": "analyse"}).encode())
        steps["decided"] = {
            "answer": json.loads(response["Payload"].read()),
            "error": response.get("FunctionError"),
            "after": pipeline.snapshot(),
            "challenger_endpoint": describe(world, CHALLENGER),
        }
        yield steps


def describe(world, endpoint: str) -> dict | None:
    sagemaker = world.client("sagemaker")
    try:
        found = sagemaker.describe_endpoint(EndpointName=endpoint)
        while found["EndpointStatus"] in ("Creating", "Updating"):
            found = sagemaker.describe_endpoint(EndpointName=endpoint)
        return found
    except sagemaker.exceptions.ClientError:
        return None


def seed_traffic(world, requests: int) -> None:
    """Captures as the predict Lambda writes them (capture_rows, one JSON line per row, under the capture
    prefix Firehose writes to) and feedback as its DynamoDB sink does: the challenger right, the champion not."""
    from lambdas.predict.sinks import DynamoDbSink

    lines, answers = [], []
    for n in range(requests):
        name, version = ("champion", "1") if n % 2 else ("challenger", "2")
        body = {"request_id": f"r{n}", "variant": name, "model_version": version, "predictions": [1]}
        lines += [
            json.dumps(r) for r in capture_rows(body, f"endpoint-{name}", 30.0, [{"x": n}], capture_columns(["x"]))
        ]
        right = name == "challenger" or n % 4 == 1  # the champion is right half the time
        answers.append({"request_id": f"r{n}", "row": 0, "ground_truth": 1 if right else 0})
    s3 = world.client("s3")
    s3.put_object(Bucket=world.artifact_bucket, Key="captures/data/2026/12/01/00/capture-1", Body="\n".join(lines))
    table = world.client("dynamodb").list_tables()["TableNames"][0]
    DynamoDbSink(world.client("dynamodb"), table).put(answers)


def record_of(outcome) -> DeploymentRecord:
    return DeploymentRecord.model_validate(outcome.record)


def test_the_first_passing_model_becomes_the_champion(experiment) -> None:
    first = experiment["first"]
    assert first.status == "SUCCEEDED" and "ChampionServing" in first.path and "Deployed" in first.path
    assert "CheckExperiment" not in first.path
    assert first.packages == {"first": "Approved"} and record_of(first).challenger is None


def test_the_second_goes_to_its_own_endpoint_as_the_challenger_and_the_champion_keeps_serving(experiment) -> None:
    second = experiment["second"]
    assert second.status == "SUCCEEDED", second.end

    assert {"CheckExperiment", "RegisterChallenger", "ChallengerCreateEndpoint", "ChallengerDeployed"} <= set(
        second.path
    )
    assert second.endpoint["EndpointConfigName"] == "breast-cancer-dev-first"  # the champion is untouched
    assert second.answer["model_version"] == "1"
    endpoint = experiment["challenger_endpoint"]
    assert endpoint["EndpointStatus"] == "InService" and endpoint["EndpointConfigName"] == "breast-cancer-dev-second"
    record = record_of(second)
    assert record.champion.version == "1" and record.champion.endpoint == CHAMPION
    assert record.challenger.version == "2" and record.challenger.endpoint == CHALLENGER
    assert record.challenger.gate == "passed" and record.challenger.deployed_at
    # Not Approved: the champion is the newest Approved package, and this one is only being tested.
    assert second.packages == {"first": "Approved", "second": "PendingManualApproval"}
    metadata = second.package_details["second"]["CustomerMetadataProperties"]
    assert metadata["experiment"] == "challenger" and metadata["slipstream.run_id"] == "second"
    (message,) = second.notifications
    assert message["status"] == "challenger deployed" and message["endpoint"] == CHALLENGER


def test_a_third_passing_model_is_refused_while_the_experiment_runs(experiment) -> None:
    third = experiment["third"]
    assert third.status == "FAILED" and third.path[-3:] == [
        "RegisterRefused",
        "NotifyChallengerRefused",
        "ChallengerRefused",
    ]
    assert third.end["error"] == "ExperimentRunning"
    assert "version 2 is the challenger on endpoint breast-cancer-dev-challenger" in third.end["cause"]
    assert third.packages["third"] == "Rejected" and third.packages["second"] == "PendingManualApproval"
    metadata = third.package_details["third"]["CustomerMetadataProperties"]
    assert metadata["experiment"] == "refused" and metadata["gate.decision"] == "passed"
    (message,) = third.notifications
    assert message["status"] == "refused" and message["running_challenger"] == "2"
    assert message["error"]["Error"] == "ExperimentRunning"
    assert record_of(third) == record_of(experiment["second"])  # the running experiment is untouched
    assert third.endpoint["EndpointConfigName"] == "breast-cancer-dev-first"


def test_the_experiment_lambda_decides_and_promotes_the_challenger(experiment) -> None:
    decided = experiment["decided"]
    assert decided["error"] is None, decided["answer"]
    answer = decided["answer"]
    assert answer["decision"] == "challenger better" and answer["acted"] == "promote"
    assert answer["decided_by"] == "experiment-lambda"
    after = decided["after"]
    assert after.endpoint["EndpointConfigName"] == "breast-cancer-dev-second"  # the challenger's config
    assert after.answer["model_version"] == "2"
    assert decided["challenger_endpoint"] is None  # deleted
    record = record_of(after)
    assert record.challenger is None and record.champion.version == "2" and record.champion.endpoint == CHAMPION
    (decision,) = record.decisions
    assert decision.action == "promote" and decision.decided_by == "experiment-lambda"
    assert decision.lower > 0 and decision.labelled == {"champion": 200, "challenger": 200}
    assert after.packages["second"] == "Approved"  # now the newest Approved package: the champion
    metadata = after.package_details["second"]["CustomerMetadataProperties"]
    assert metadata["experiment"] == "promoted" and metadata["experiment_decision"] == "challenger better"
    assert metadata["slipstream.run_id"] == "second"  # the lineage stays
    (message,) = after.notifications
    assert message["status"] == "experiment: challenger promoted"
