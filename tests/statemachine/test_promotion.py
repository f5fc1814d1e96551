"""Train once, promote the same package: dev and prod deployed in ONE emulated account, dev trains and deploys,
then the code `slipstream promote --to prod` runs (slipstream/cli/promote.py, with moto clients) deploys dev's
package in prod through prod's own state machine, smoke test (through prod's API) and deployment record.

Bounded: one dev training run; the config (prod promotes from dev) is synthesized for dev and for prod once.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from slipstream.cli.promote import PromotionError, follow, start_promotion
from slipstream.documents.promotion import PromotionRequest
from slipstream.documents.run import DataLocation, RunRequest
from slipstream.layout import MODEL_ARCHIVE, retained_key
from slipstream.local.stepfunctions.emulation import emulated_stages, upload_dataset
from slipstream.local.stepfunctions.world import World
from slipstream.stage_config import StageConfig
from tests.statemachine.scenarios import Outcome, Pipeline

pytestmark = pytest.mark.xdist_group("statemachine-promotion")
DEV_RUN = "first-deploy"


@pytest.fixture(scope="module")
def promoting(config):
    """The bundled config, with prod promoting straight from dev (staging is not stood up here)."""
    return config.model_copy(update={"stages": {"prod": StageConfig(promote_from="dev")}})


@pytest.fixture(scope="module")
def promoted(promoting, probe) -> dict[str, Any]:
    with emulated_stages(promoting, ("dev", "prod"), triggers=("prod",)) as worlds:
        dev, prod = Pipeline(worlds["dev"], probe), Pipeline(worlds["prod"], probe)
        found: dict[str, Any] = {"dev": dev.run(DEV_RUN, upload_dataset(worlds["dev"], promoting))}
        clients = _clients(worlds["prod"])
        state_machine, request = start_promotion(promoting, "prod", version=None, **clients)
        found["request"] = request
        found["followed"] = follow(
            clients["sfn"], state_machine, request.run_id, timeout_s=300, poll_s=0.1, say=lambda _: None
        )
        found["prod"] = prod.capture_execution(request.run_id, _execution(state_machine, request.run_id))
        # Promoting the same package again follows the first execution: no second one.
        found["again"] = start_promotion(promoting, "prod", version=None, **clients)[1]
        found["executions"] = _executions(worlds["prod"])
        found["archives"] = {
            "dev": _sha256(worlds["dev"], retained_key(DEV_RUN, MODEL_ARCHIVE)),
            "prod": _sha256(worlds["prod"], retained_key(request.run_id, MODEL_ARCHIVE)),
        }
        found["prod_group"] = worlds["prod"].model_package_group
        found["prod_training_jobs"] = _training_jobs(worlds["prod"])
        found["dev_training_jobs"] = _training_jobs(worlds["dev"])
        found["unknown_version"] = _refusal(promoting, clients, version=99)
        found["training_in_prod"] = _train(prod, worlds["prod"])
        # dev's package rejected after the fact (an operator's call): neither the CLI nor the state machine
        # promotes it any more.
        source_arn = request.model_package_arn
        worlds["dev"].client("sagemaker").update_model_package(
            ModelPackageArn=source_arn, ModelApprovalStatus="Rejected"
        )
        found["rejected_cli"] = _refusal(promoting, clients, version=1)
        direct = request.model_copy(update={"run_id": "promote-dev-1-rejected"})
        found["rejected_direct"] = _promote_directly(prod, worlds["prod"], direct)
        return found


def _clients(world: World) -> dict[str, Any]:
    return {
        "cfn": world.client("cloudformation"),
        "sagemaker": world.client("sagemaker"),
        "sfn": world.client("stepfunctions"),
    }


def _execution(state_machine: str, name: str) -> str:
    return state_machine.replace(":stateMachine:", ":execution:") + f":{name}"


def _executions(world: World) -> list[str]:
    listed = world.client("stepfunctions").list_executions(stateMachineArn=world.state_machine_arn)
    return sorted(execution["name"] for execution in listed["executions"])


def _sha256(world: World, key: str) -> str | None:
    s3 = world.client("s3")
    try:
        body = s3.get_object(Bucket=world.artifact_bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return hashlib.sha256(body).hexdigest()


def _training_jobs(world: World) -> list[str]:
    """Training jobs that wrote to the stage's artifact bucket (the job name is the run's, not the stage's)."""
    sagemaker, names = world.client("sagemaker"), []
    for summary in sagemaker.list_training_jobs()["TrainingJobSummaries"]:
        job = sagemaker.describe_training_job(TrainingJobName=summary["TrainingJobName"])
        if job.get("OutputDataConfig", {}).get("S3OutputPath", "").startswith(f"s3://{world.artifact_bucket}/"):
            names.append(summary["TrainingJobName"])
    return names


def _refusal(config: Any, clients: dict[str, Any], *, version: int) -> PromotionError:
    with pytest.raises(PromotionError) as raised:
        start_promotion(config, "prod", version=version, **clients)
    return raised.value


def _train(pipeline: Pipeline, world: World) -> Outcome:
    request = RunRequest(run_id="train-in-prod", data=DataLocation(bucket=world.data_bucket, key="data/x.csv"))
    return _run(pipeline, world, request.run_id, request.model_dump_json())


def _promote_directly(pipeline: Pipeline, world: World, request: PromotionRequest) -> Outcome:
    return _run(pipeline, world, request.run_id, request.model_dump_json())


def _run(pipeline: Pipeline, world: World, name: str, document: str) -> Outcome:
    sfn = world.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=world.state_machine_arn, name=name, input=document)["executionArn"]
    world.wait(arn)
    return pipeline.capture_execution(name, arn)


def _explain(outcome: Outcome) -> str:
    """Why an execution failed: its path and its tasks' failures."""
    failed = [event for event in outcome.events if event["type"] in ("TaskFailed", "LambdaFunctionFailed")]
    details = [next(v for k, v in event.items() if k.endswith("EventDetails")) for event in failed]
    lines = [" -> ".join(outcome.path), *(f"{d.get('error')}: {d.get('cause')}" for d in details)]
    return "\n".join([*lines, *(str(notification) for notification in outcome.notifications)])


def test_dev_trained_and_deployed(promoted):
    dev = promoted["dev"]
    assert dev.status == "SUCCEEDED", dev.end
    assert dev.packages == {DEV_RUN: "Approved"}
    assert len(promoted["dev_training_jobs"]) == 1


def test_prod_serves_the_same_archive(promoted):
    prod, request = promoted["prod"], promoted["request"]
    assert promoted["followed"] == "SUCCEEDED", _explain(prod)
    assert promoted["archives"]["prod"] == promoted["archives"]["dev"]
    assert prod.served_model_url is not None and prod.served_model_url.endswith(
        retained_key(request.run_id, MODEL_ARCHIVE)
    )
    assert prod.answer is not None and prod.answer["predictions"]


def test_prod_went_through_its_own_deployment_chain(promoted):
    path = promoted["prod"].path
    for state in ("IsPromotion", "DescribeSourcePackage", "CopyModel", "RecheckGate", "RegisterPromoted"):
        assert state in path
    assert "SmokeTest" in path and path.index("SmokeTest") > path.index("RegisterPromoted")
    assert "Train" not in path and "RejectModel" not in path and "DeleteNewEndpoint" not in path
    assert promoted["prod_training_jobs"] == []


def test_prod_package_says_where_it_came_from(promoted):
    request, prod, dev = promoted["request"], promoted["prod"], promoted["dev"]
    (package,) = prod.package_details.values()
    assert package["ModelApprovalStatus"] == "Approved"
    metadata, source = package["CustomerMetadataProperties"], dev.package_details[DEV_RUN]
    assert metadata["promoted_from"] == request.model_package_arn == source["ModelPackageArn"]
    for key, value in source["CustomerMetadataProperties"].items():  # dev's lineage travels with the model
        assert metadata[key] == value, key
    assert package["ModelPackageGroupName"] == promoted["prod_group"] != source["ModelPackageGroupName"]
    assert package["ModelCard"]["ModelCardStatus"] == "Approved"  # this stage's card: dev's lineage, prod's gate
    assert package["MetadataProperties"]["CommitId"] == source["MetadataProperties"]["CommitId"]


def test_prod_deployment_record_is_written(promoted):
    record, request = promoted["prod"].record, promoted["request"]
    assert record is not None and record["champion"]["run_id"] == request.run_id
    assert record["champion"]["promoted_from"] == {"stage": "dev", "version": "1"}


def test_promoting_again_follows_the_first_execution(promoted):
    assert promoted["again"].run_id == promoted["request"].run_id == "promote-dev-1"
    assert promoted["executions"] == ["promote-dev-1"]


def test_unknown_version_and_rejected_package_are_refused(promoted):
    unknown, rejected = promoted["unknown_version"], promoted["rejected_cli"]
    assert unknown.exit_code == 2 and "no version 99" in str(unknown)
    assert rejected.exit_code == 2 and "Rejected, not Approved" in str(rejected)


def test_the_state_machine_refuses_a_rejected_source(promoted):
    refused = promoted["rejected_direct"]
    assert refused.status == "FAILED"
    assert "SourceNotApproved" in refused.path
    assert "CopyModel" not in refused.path and "RegisterPromoted" not in refused.path
    (notification,) = refused.notifications
    assert "SourceNotApproved" in str(notification) and "is Rejected" in str(notification), notification


def test_prod_does_not_train(promoted):
    refused = promoted["training_in_prod"]
    assert refused.status == "FAILED"
    assert refused.end["error"] == "TrainingDisabled"
    assert "slipstream promote --to prod" in refused.end["cause"]
