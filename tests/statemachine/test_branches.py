"""Each branch of the synthesized pipeline, run in moto with our real handlers and scripts: the path taken
(from the execution history) and what it left behind (model package, endpoint, notification)."""

from __future__ import annotations

from tests.statemachine.conftest import STATEMACHINE_GROUP

pytestmark = STATEMACHINE_GROUP

TRAINING = ["RunPaths", "ValidateData", "Train", "FindChampion", "HasChampion"]
FIRST_EVALUATION = [*TRAINING, "EvaluateWithoutChampion", "Evaluate", "QualityGate", "GatePassed"]
WITH_CHAMPION = [*TRAINING, "DescribeChampion", "EvaluateAgainstChampion", "Evaluate", "QualityGate", "GatePassed"]
DEPLOY = ["Register", "NameDeployment", "CreateModel", "CreateEndpointConfig", "FindEndpoint", "EndpointExists"]
# Created or updated endpoints answer "Creating"/"Updating" once, so the wait loop runs twice.
WAIT = ["WaitForEndpoint", "CheckEndpoint", "EndpointReady"] * 2


def test_happy_path_deploys_a_new_endpoint_and_approves_the_model(deployed):
    run = deployed["happy"]
    assert run.status == "SUCCEEDED"
    expected = [*FIRST_EVALUATION, *DEPLOY, "CreateEndpoint", *WAIT, "SmokeTest", "SmokeTestPassed"]
    assert run.path == [*expected, "ApproveModel", "NotifySuccess", "Deployed"]
    assert run.packages == {"first-deploy": "Approved"}
    assert run.endpoint["EndpointStatus"] == "InService"
    assert run.endpoint["EndpointConfigName"] == "breast-cancer-dev-first-deploy"
    (message,) = run.notifications
    assert message["status"] == "deployed" and message["gate"]["passed"] is True
    assert message["gate"]["value"] > 0.95  # a real metric from evaluate.py, read by the real gate Lambda


def test_data_validation_failure_notifies_and_registers_nothing(first_runs):
    run = first_runs["bad_data"]
    assert run.status == "FAILED"
    assert run.path == ["RunPaths", "ValidateData", "NotifyFailure", "PipelineFailed"]
    assert run.packages == {} and run.endpoint is None
    (message,) = run.notifications
    assert message["status"] == "failed"
    assert message["error"]["Error"] == run.failures("ValidateData")[0] == "DataError"
    assert "target" in message["error"]["Cause"]


def test_training_job_failure_reports_the_scripts_reason(first_runs):
    run = first_runs["training_failure"]
    assert run.status == "FAILED"
    assert run.path == ["RunPaths", "ValidateData", "Train", "NotifyFailure", "PipelineFailed"]
    assert run.failures("Train") == ["States.TaskFailed"]  # a failed job is not retried
    (message,) = run.notifications
    assert "AlgorithmError: train.py failed" in message["error"]["Cause"]
    assert "zz-stray.csv has columns" in message["error"]["Cause"]
    assert run.packages == {} and run.endpoint is None


def test_quality_gate_rejection_keeps_the_champion_serving(deployed):
    run = deployed["gate_rejected"]
    assert run.status == "SUCCEEDED"
    assert run.path == [*WITH_CHAMPION, "NotifyChampionKept", "ChampionKept"]
    assert "gate-rejects" not in run.packages  # nothing registered
    assert run.endpoint["EndpointConfigName"] == "breast-cancer-dev-throttled"
    (message,) = run.notifications
    assert message["status"] == "champion kept"
    assert message["gate"]["passed"] is False and message["gate"]["value"] < 0.95


def test_smoke_test_failure_rolls_the_endpoint_back(deployed):
    run = deployed["rolled_back"]
    assert run.status == "FAILED" and run.end["error"] == "SmokeTestFailed"
    update = ["RememberServingConfig", "UpdateEndpoint", *WAIT, "SmokeTest", "SmokeTestPassed"]
    tail = ["RejectModel", "CanRollBack", "RollBack", "NotifyRolledBack", "RolledBack"]
    assert run.path == [*WITH_CHAMPION, *DEPLOY, *update, *tail]
    assert run.packages["rolled-back"] == "Rejected"
    assert run.packages["throttled"] == "Approved"  # still the champion
    assert run.endpoint["EndpointConfigName"] == "breast-cancer-dev-throttled"
    (message,) = run.notifications
    assert message["status"] == "rolled back"
    assert "ModelError" in message["smoke_test"]["problems"][0]


def test_smoke_test_failure_on_a_new_endpoint_has_nothing_to_roll_back_to(first_runs):
    run = first_runs["smoke_new_endpoint"]
    assert run.status == "FAILED" and run.end["error"] == "SmokeTestFailed"
    assert run.path[-5:] == [
        "SmokeTestPassed",
        "RejectModel",
        "CanRollBack",
        "NotifySmokeTestFailed",
        "SmokeTestFailed",
    ]
    assert run.packages == {"smoke-new": "Rejected"}
    assert run.notifications[0]["status"] == "failed"


def test_an_endpoint_that_never_starts_fails_the_run_on_the_old_config(first_runs):
    run = first_runs["endpoint_failed"]
    assert run.status == "FAILED"
    assert run.path[-6:] == [
        "WaitForEndpoint",
        "CheckEndpoint",
        "EndpointReady",
        "EndpointFailed",
        "NotifyFailure",
        "PipelineFailed",
    ]
    # SageMaker keeps serving the old config after a failed update; the model stays pending, never approved.
    assert run.endpoint["EndpointConfigName"] == "breast-cancer-dev-smoke-new"
    assert run.packages["endpoint-fails"] == "PendingManualApproval"
    (message,) = run.notifications
    assert message["error"]["Error"] == "EndpointFailed"


def test_throttling_is_retried_then_succeeds(deployed):
    run = deployed["throttled"]
    assert run.status == "SUCCEEDED" and run.path[-1] == "Deployed"
    assert run.failures("Train") == ["SageMaker.ThrottlingException"]
    assert run.failures("ValidateData") == ["Lambda.TooManyRequestsException"]
    assert run.path.count("Train") == 1  # retried inside the state, not re-entered
    assert run.packages["throttled"] == "Approved"
    assert run.packages["first-deploy"] == "Approved"  # the older champion keeps its status
    assert run.endpoint["EndpointConfigName"] == "breast-cancer-dev-throttled"
