"""Each branch of the synthesized pipeline, run in moto with our real handlers and scripts: the path taken
(from the execution history) and what it left behind (model package, endpoint and the version it reports,
deployment record, notification)."""

from __future__ import annotations

import pytest

from tests.statemachine.conftest import RUNS_GROUP
from tests.statemachine.lineage_checks import assert_package_lineage

pytestmark = [RUNS_GROUP, pytest.mark.slow]  # nine executions, once per session

VALIDATE = ["RunPaths", "MeasureData", "ValidateWhere", "ValidateData"]  # small data: the Lambda route
TRAINING = [*VALIDATE, "Train", "FindChampion", "HasChampion"]
FIRST_EVALUATION = [*TRAINING, "EvaluateWithoutChampion", "Evaluate", "QualityGate", "GatePassed"]
WITH_CHAMPION = [*TRAINING, "DescribeChampion", "EvaluateAgainstChampion", "Evaluate", "QualityGate", "GatePassed"]
DEPLOY = [
    "RetainModel",
    "RetainBaseline",
    "Register",
    "NameDeployment",
    "CreateModel",
    "CreateEndpointConfig",
    "FindEndpoint",
    "EndpointExists",
]
# Created or updated endpoints answer "Creating"/"Updating" once, so the wait loop runs twice.
WAIT = ["WaitForEndpoint", "CheckEndpoint", "EndpointReady"] * 2
ROLLBACK_WAIT = ["WaitForRollBack", "CheckRollBack", "RolledBackReady"] * 2
SUCCEEDED = ["SmokeTestPassed", "ApproveModel", "RecordDeployment", "NotifySuccess", "Deployed"]


def test_happy_path_deploys_a_new_endpoint_and_approves_the_model(deployed):
    run = deployed["happy"]
    assert run.status == "SUCCEEDED"
    expected = [*FIRST_EVALUATION, *DEPLOY, "CreateEndpoint", *WAIT, "SmokeTest"]
    assert run.path == [*expected, *SUCCEEDED]
    assert run.packages == {"first-deploy": "Approved"}
    assert run.endpoint["EndpointStatus"] == "InService"
    assert run.endpoint["EndpointConfigName"] == "breast-cancer-dev-first-deploy"
    (message,) = run.notifications
    assert message["status"] == "deployed" and message["gate"]["passed"] is True
    assert message["gate"]["value"] > 0.95  # a real metric from evaluate.py, read by the real gate Lambda
    assert message["version"] == "1"


def test_the_endpoint_loads_a_retained_copy_of_the_model_not_the_expiring_run_folder(deployed):
    """runs/ expires (artifact_retention_days) but a serverless endpoint downloads its model at every cold start:
    the served model, and the baseline the record names, live under models/<run id>/, which does not expire."""
    run = deployed["happy"]
    bucket = run.served_model_url.removeprefix("s3://").split("/", 1)[0]
    assert run.served_model_url == f"s3://{bucket}/models/first-deploy/model.tar.gz"
    assert run.retained == ["models/first-deploy/baseline.json", "models/first-deploy/model.tar.gz"]
    assert run.record["champion"]["baseline_uri"] == f"s3://{bucket}/models/first-deploy/baseline.json"
    assert run.answer["model_version"] == "1"  # the endpoint really loaded the copy and answers from it


def test_the_endpoint_reports_the_model_package_version(deployed):
    """CreateModel sets SLIPSTREAM_MODEL_VERSION from the package ARN; inference.py puts it in every answer."""
    first, second = deployed["happy"], deployed["throttled"]
    assert first.package_details["first-deploy"]["ModelPackageVersion"] == 1
    assert first.answer["model_version"] == "1" and first.answer["predictions"]
    assert second.package_details["throttled"]["ModelPackageVersion"] == 2
    assert second.answer["model_version"] == "2"


def test_a_deployment_writes_the_record_predict_and_drift_read(deployed, config):
    run = deployed["happy"]
    assert run.record["challenger"] is None
    champion = run.record["champion"]
    assert champion["endpoint"] == "breast-cancer-dev" and champion["version"] == "1"
    assert champion["gate"] == "passed" and champion["run_id"] == "first-deploy"
    assert champion["metrics"]["roc_auc"] == run.notifications[0]["gate"]["value"]
    assert champion["baseline_uri"].endswith("/models/first-deploy/baseline.json")
    assert len(champion["data_sha256"]) == 64 and champion["registered_at"]
    assert champion["model_card"].startswith("# Model card: breast-cancer")
    assert champion["git_commit"] == run.package_details["first-deploy"]["MetadataProperties"]["CommitId"]
    # The package carries the same lineage.
    metadata = run.package_details["first-deploy"]["CustomerMetadataProperties"]
    assert metadata["data.sha256"] == champion["data_sha256"] and metadata["gate.decision"] == "passed"
    card = assert_package_lineage(run.package_details["first-deploy"], config, "first-deploy")
    assert card["evaluation_details"][0]["evaluation_observation"].startswith("Quality gate passed: ")
    assert deployed["throttled"].record["champion"]["version"] == "2"  # the next deployment replaces it


def test_every_package_carries_its_lineage_and_a_model_card(deployed, first_runs, config):
    """Approved, rejected by the gate, rejected after a failed smoke test: each says where it came from."""
    seen = {}
    for outcome in [*deployed.values(), *first_runs.values()]:
        for run_id, package in outcome.package_details.items():
            assert_package_lineage(package, config, run_id)
            seen[run_id] = package["ModelCard"]["ModelCardStatus"]
    assert {"Approved", "Draft"} <= set(seen.values()), seen


def test_data_validation_failure_notifies_and_registers_nothing(first_runs):
    run = first_runs["bad_data"]
    assert run.status == "FAILED"
    assert run.path == [*VALIDATE, "NotifyFailure", "PipelineFailed"]
    assert run.packages == {} and run.endpoint is None
    (message,) = run.notifications
    assert message["status"] == "failed"
    assert message["error"]["Error"] == run.failures("ValidateData")[0] == "DataError"
    assert "target" in message["error"]["Cause"]


def test_training_job_failure_reports_the_scripts_reason(first_runs):
    run = first_runs["training_failure"]
    assert run.status == "FAILED"
    assert run.path == [*VALIDATE, "Train", "NotifyFailure", "PipelineFailed"]
    assert run.failures("Train") == ["States.TaskFailed"]  # a failed job is not retried
    (message,) = run.notifications
    assert "AlgorithmError: train.py failed" in message["error"]["Cause"]
    assert "zz-stray.csv has columns" in message["error"]["Cause"]
    assert run.packages == {} and run.endpoint is None


def test_quality_gate_rejection_registers_a_rejected_package_and_keeps_the_champion(deployed, config):
    run = deployed["gate_rejected"]
    assert run.status == "SUCCEEDED"
    assert run.path == [*WITH_CHAMPION, "RegisterRejected", "NotifyChampionKept", "ChampionKept"]
    # ADR 0004: registered like every evaluated model, with its evaluation as model metrics, never approved.
    assert run.packages["gate-rejects"] == "Rejected"
    package = run.package_details["gate-rejects"]
    statistics = package["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["S3Uri"].endswith("/runs/gate-rejects/evaluation/evaluation.json")
    metadata = package["CustomerMetadataProperties"]
    assert metadata["gate.decision"] == "rejected"
    card = assert_package_lineage(package, config, "gate-rejects")  # a rejected package too: Draft card
    assert card["model_overview"]["model_artifact"] == [
        package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    ]
    # the gate's figures, as the QualityGate Lambda wrote them (steps/gate.py figures_line), on the package
    assert metadata["gate.baseline"].startswith("roc_auc ") and " baseline 0.5000 diff " in metadata["gate.baseline"]
    assert metadata["gate.baseline"].endswith(message_verdict(run, "baseline"))
    assert metadata["gate.champion"].startswith("roc_auc ") and " champion " in metadata["gate.champion"]
    assert run.endpoint["EndpointConfigName"] == "breast-cancer-dev-throttled"
    assert run.record == deployed["throttled"].record  # the champion's record stays
    (message,) = run.notifications
    assert message["status"] == "champion kept" and message["model_package"] == package["ModelPackageArn"]
    assert message["gate"]["passed"] is False and message["gate"]["value"] < 0.95
    assert message["gate"]["champion"]["verdict"] in {"worse", "not distinguishable", "better"}
    assert metadata["gate.champion"].endswith(message_verdict(run, "champion"))
    assert message["gate"]["baseline"]["verdict"] != "better"  # this model is no better than the majority class


def message_verdict(run, against: str) -> str:
    (message,) = run.notifications
    return message["gate"][against]["verdict"]


def test_smoke_test_failure_rolls_the_endpoint_back_and_waits_for_it(deployed):
    run = deployed["rolled_back"]
    assert run.status == "FAILED" and run.end["error"] == "SmokeTestFailed"
    update = ["RememberServingConfig", "UpdateEndpoint", *WAIT, "SmokeTest", "SmokeTestPassed"]
    tail = ["RejectModel", "CanRollBack", "RollBack", *ROLLBACK_WAIT, "NotifyRolledBack", "RolledBack"]
    assert run.path == [*WITH_CHAMPION, *DEPLOY, *update, *tail]
    assert run.packages["rolled-back"] == "Rejected"
    assert run.packages["throttled"] == "Approved"  # still the champion
    assert run.endpoint["EndpointConfigName"] == "breast-cancer-dev-throttled"
    assert run.answer["model_version"] == "2"  # the champion answers again
    assert run.record == deployed["throttled"].record  # the record still names the model serving
    (message,) = run.notifications
    assert message["status"] == "rolled back"
    # through the front door: the endpoint's ModelError is the predict Lambda's 502 "model error"
    problem = message["smoke_test"]["problems"][0]
    assert "/dev/predict answered HTTP 502" in problem and '"error": "model error"' in problem


def test_a_rollback_that_does_not_take_is_reported_as_a_failure(deployed):
    run = deployed["rollback_failed"]
    assert run.status == "FAILED" and run.end["error"] == "PipelineFailed"
    tail = ["RejectModel", "CanRollBack", "RollBack", *ROLLBACK_WAIT, "RollBackFailed", "NotifyFailure"]
    assert run.path[-12:] == [*tail, "PipelineFailed"]
    assert run.packages["rollback-fails"] == "Rejected"
    # SageMaker keeps the config it runs when an update fails: here the rejected model. The operator hears it.
    assert run.endpoint["EndpointConfigName"] == "breast-cancer-dev-rollback-fails"
    assert run.answer["model_version"] == str(run.package_details["rollback-fails"]["ModelPackageVersion"])
    (message,) = run.notifications
    assert message["error"]["Error"] == "RollBackFailed"
    assert "breast-cancer-dev-rollback-fails" in message["error"]["Cause"]


def test_smoke_test_failure_on_a_new_endpoint_deletes_it(first_runs):
    run = first_runs["smoke_new_endpoint"]
    assert run.status == "FAILED" and run.end["error"] == "SmokeTestFailed"
    assert run.path[-6:] == [
        "SmokeTestPassed",
        "RejectModel",
        "CanRollBack",
        "DeleteNewEndpoint",
        "NotifySmokeTestFailed",
        "SmokeTestFailed",
    ]
    assert run.packages == {"smoke-new": "Rejected"}
    assert run.endpoint is None and run.answer is None  # the rejected model serves no one
    assert run.record is None
    assert run.notifications[0]["status"] == "failed"


def test_an_endpoint_that_never_starts_rejects_the_model_and_keeps_the_old_config(deployed):
    run = deployed["endpoint_failed"]
    assert run.status == "FAILED"
    assert run.path[-7:] == [
        "WaitForEndpoint",
        "CheckEndpoint",
        "EndpointReady",
        "EndpointFailed",
        "RejectFailedDeployment",
        "NotifyFailure",
        "PipelineFailed",
    ]
    # SageMaker keeps serving the old config after a failed update; the new package is rejected, not left pending.
    assert run.endpoint["EndpointConfigName"] == "breast-cancer-dev-throttled"
    assert run.packages["endpoint-fails"] == "Rejected"
    assert run.packages["throttled"] == "Approved"
    assert run.record == deployed["throttled"].record
    (message,) = run.notifications
    assert message["error"]["Error"] == "EndpointFailed"


def test_throttling_is_retried_then_succeeds(deployed):
    run = deployed["throttled"]
    assert run.status == "SUCCEEDED" and run.path[-1] == "Deployed"
    # An optimized integration (Train) names every SageMaker error AmazonSageMakerException; an AWS SDK one
    # names it by its code with an Exception suffix. Both are in the retry lists for their kind of task.
    assert run.failures("Train") == ["SageMaker.AmazonSageMakerException"]
    assert run.failures("RememberServingConfig") == ["SageMaker.ServiceUnavailableException"]
    assert run.failures("ValidateData") == ["Lambda.TooManyRequestsException"]
    assert run.path.count("Train") == 1  # retried inside the state, not re-entered
    assert run.packages["throttled"] == "Approved"
    assert run.packages["first-deploy"] == "Approved"  # the older champion keeps its status
    assert run.endpoint["EndpointConfigName"] == "breast-cancer-dev-throttled"
