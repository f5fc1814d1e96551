"""MLflow on AWS against a real MLflow server on 127.0.0.1: the MLflow Lambda's logic registers a package as a
model version with the local registry's tags, sets the champion alias, is idempotent, and a server that is
down marks the package `mlflow: failed` instead of failing the run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from lambdas.mlflow_registry.logic import handle
from lambdas.mlflow_registry.rest import MlflowRest
from slipstream.config import load_config
from slipstream.documents.gate import CardSources, GateDecision
from slipstream.documents.mlflow import MlflowRequest
from slipstream.lineage import gate_detail_tags, lineage_facts

STARTUP_SECONDS = 90
ACCOUNT = "arn:aws:sagemaker:us-east-1:123456789012"
ARN = f"{ACCOUNT}:model-package/breast-cancer-dev/1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("mlflow")
    port = _free_port()
    # MLflow's tracking server app (what `mlflow server` mounts), on werkzeug: mlflow-skinny's `mlflow server`
    # needs aiohttp and huey for its assistant and job runner, which the dev environment leaves out.
    store = f"sqlite:///{folder}/mlflow.db"
    environment = {
        **os.environ,
        "_MLFLOW_SERVER_FILE_STORE": store,
        "_MLFLOW_SERVER_REGISTRY_STORE": store,
        "_MLFLOW_SERVER_ARTIFACT_ROOT": str(folder / "artifacts"),
    }
    serve = f"from mlflow.server import app; app.run(host='127.0.0.1', port={port}, threaded=True)"
    log = (folder / "server.log").open("w")
    process = subprocess.Popen([sys.executable, "-c", serve], stdout=log, stderr=log, env=environment)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            try:
                urllib.request.urlopen(f"{uri}/health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError((folder / "server.log").read_text()[-2000:]) from None
                time.sleep(0.5)
        yield uri
    finally:
        process.terminate()
        process.wait(timeout=30)


class _SageMaker:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def update_model_package(self, **kwargs: Any) -> None:
        self.updates.append(kwargs)


def _request(action: str, run_id: str = "r1") -> MlflowRequest:
    decision = GateDecision(
        passed=True,
        metric="roc_auc",
        value=0.99,
        threshold=None,
        champion_value=None,
        baseline=None,
        champion=None,
        reasons=["roc_auc 0.99 beats the baseline"],
        baseline_figures="roc_auc 0.9900 baseline 0.5000 diff +0.4900 ci95 +0.45 to +0.52 better",
        champion_figures="none",
    )
    sources = CardSources(
        data_uri="s3://data/incoming/cancer.csv",
        data_sha256="ab" * 32,
        git_commit="c0ffee",
        config_sha256="cd" * 32,
        training_job=f"breast-cancer-dev-{run_id}-train",
        model_artifact=f"s3://artifacts/runs/{run_id}/model.tar.gz",
        contract_uri=f"s3://artifacts/runs/{run_id}/contract.json",
    )
    return MlflowRequest(
        action=action,  # type: ignore[arg-type]
        run_id=run_id,
        model_package_arn=ARN,
        source=f"s3://artifacts/models/{run_id}/model.tar.gz",
        lineage=sources,
        gate=decision,
        staging="champion",
    )


def test_a_package_becomes_a_version_with_the_local_tags_and_the_champion_alias(server: str) -> None:
    from mlflow import MlflowClient

    config, sagemaker = load_config("slipstream.toml"), _SageMaker()
    registered = handle(_request("register"), config, rest=MlflowRest(server), sagemaker=sagemaker)
    assert registered.status == "registered" and registered.version == "1"
    again = handle(_request("register"), config, rest=MlflowRest(server), sagemaker=sagemaker)
    assert again.version == "1"  # a retried step finds its version
    aliased = handle(_request("champion"), config, rest=MlflowRest(server), sagemaker=sagemaker)
    assert aliased.status == "aliased" and sagemaker.updates == []

    client = MlflowClient(tracking_uri=server, registry_uri=server)
    version = client.get_model_version_by_alias(config.name, "champion")
    assert version.version == "1" and version.source == "s3://artifacts/models/r1/model.tar.gz"
    # The names the local register step tags a version with (slipstream/local/steps.py + registry.py).
    local = set(lineage_facts(**dict.fromkeys(_FACTS, ""))) | set(gate_detail_tags(_request("register").gate))
    assert local | {"staging", "staging.reason"} <= set(version.tags)
    assert version.tags["git.commit"] == "c0ffee" and version.tags["data.source"] == "s3://data/incoming/cancer.csv"
    assert version.tags["slipstream.run_id"] == "r1" and version.tags["gate.decision"] == "passed"


def test_a_server_that_is_down_marks_the_package_and_fails_nothing() -> None:
    sagemaker, waits = _SageMaker(), []
    down = MlflowRest(f"http://127.0.0.1:{_free_port()}", timeout=1)
    result = handle(
        _request("register"), load_config("slipstream.toml"), rest=down, sagemaker=sagemaker, sleep=waits.append
    )
    assert result.status == "failed" and "refused" in (result.error or "").lower()
    assert waits == [2, 4]  # retried twice
    assert sagemaker.updates == [{"ModelPackageArn": ARN, "CustomerMetadataProperties": {"mlflow": "failed"}}]


_FACTS = (
    "run_id",
    "data_source",
    "data_sha256",
    "git_commit",
    "config_sha256",
    "training_job",
    "estimator",
    "gate_decision",
    "gate_baseline",
    "gate_champion",
)


class _TunedSageMaker(_SageMaker):
    """A tuning job's records as the emulated account writes them (slipstream/local/stepfunctions: the same
    summary and pages), three trials of which one failed."""

    JOB = "0123456789abcdef0123456789abcdef"

    def __init__(self) -> None:
        from slipstream.local.stepfunctions.tuning_jobs import Trial

        super().__init__()
        self.trials = [
            Trial(f"{self.JOB}-001-aaaaaaaa", {"estimator__C": "0.5"}, "Completed", 0.97),
            Trial(f"{self.JOB}-002-bbbbbbbb", {"estimator__C": "2.0"}, "Completed", 0.99),
            Trial(f"{self.JOB}-003-cccccccc", {"estimator__C": "9.0"}, "Failed", None, "AlgorithmError: boom"),
        ]
        self.objective = {"Type": "Maximize", "MetricName": "cv:roc_auc"}

    def _summary(self, trial: Any) -> dict[str, Any]:
        from slipstream.local.stepfunctions.tuning_jobs import describe_trial

        arn = f"{ACCOUNT}:training-job/{trial.name}"
        return describe_trial(trial, tuning_job=self.JOB, arn=arn, objective=self.objective)

    def describe_hyper_parameter_tuning_job(self, HyperParameterTuningJobName: str) -> dict[str, Any]:
        return {
            "HyperParameterTuningJobArn": f"{ACCOUNT}:hyper-parameter-tuning-job/{self.JOB}",
            "HyperParameterTuningJobStatus": "Completed",
            "HyperParameterTuningJobConfig": {
                "HyperParameterTuningJobObjective": self.objective,
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 3},
            },
            "BestTrainingJob": self._summary(self.trials[1]),
        }

    def list_training_jobs_for_hyper_parameter_tuning_job(self, **request: Any) -> dict[str, Any]:
        from slipstream.local.stepfunctions.tuning_list import page_of

        page, token = page_of(
            self.trials,
            job_name=request["HyperParameterTuningJobName"],
            max_results=min(request["MaxResults"], 2),  # two pages: the reader must follow NextToken
            next_token=request.get("NextToken"),
            sort_by=request.get("SortBy"),
        )
        return {"TrainingJobSummaries": [self._summary(t) for t in page], **({"NextToken": token} if token else {})}


def test_a_tuned_package_has_its_run_and_one_child_run_per_trial(server: str) -> None:
    from mlflow import MlflowClient

    config, sagemaker = load_config("slipstream.toml"), _TunedSageMaker()
    request = _request("register", run_id="tuned1")
    request = request.model_copy(update={"lineage": request.lineage.model_copy(update={"tuning_job": sagemaker.JOB})})
    registered = handle(request, config, rest=MlflowRest(server), sagemaker=sagemaker)
    assert registered.status == "registered", registered.error
    client = MlflowClient(tracking_uri=server, registry_uri=server)
    version = client.get_model_version(config.name, registered.version)
    parent = client.get_run(version.run_id)
    assert parent.data.params["param.C"] == "2.0" and parent.data.metrics["tuning_cv_roc_auc"] == 0.99
    children = client.search_runs([parent.info.experiment_id], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    by_trial = {run.data.tags["tuning.trial"]: run for run in children}
    assert set(by_trial) == {t.name for t in sagemaker.trials}
    best = by_trial[sagemaker.trials[1].name]
    assert best.data.tags["tuning.best"] == "True" and best.data.metrics["cv_roc_auc"] == 0.99
    failed = by_trial[sagemaker.trials[2].name]
    assert failed.info.status == "FAILED" and "cv_roc_auc" not in failed.data.metrics
    assert failed.data.params["param.C"] == "9.0"
    # A retried step (the version lost, say) logs no trial twice.
    client.delete_model_version(config.name, registered.version)
    handle(request, config, rest=MlflowRest(server), sagemaker=sagemaker)
    again = client.search_runs([parent.info.experiment_id], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    assert len(again) == 3


class _RefusingSageMaker(_SageMaker):
    """SageMaker answering the tuning-job read with `code`, `fails` times, then as the tuned account."""

    def __init__(self, code: str, status: int, fails: int) -> None:
        super().__init__()
        self.tuned, self.code, self.status, self.fails, self.calls = _TunedSageMaker(), code, status, fails, 0

    def describe_hyper_parameter_tuning_job(self, HyperParameterTuningJobName: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        self.calls += 1
        if self.calls <= self.fails:
            error = {"Error": {"Code": self.code, "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": self.status}}
            raise ClientError(error, "DescribeHyperParameterTuningJob")
        return self.tuned.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName)

    def list_training_jobs_for_hyper_parameter_tuning_job(self, **request: Any) -> dict[str, Any]:
        return self.tuned.list_training_jobs_for_hyper_parameter_tuning_job(**request)


def _tuned_request(run_id: str) -> MlflowRequest:
    request = _request("register", run_id=run_id)
    return request.model_copy(
        update={"lineage": request.lineage.model_copy(update={"tuning_job": _TunedSageMaker.JOB})}
    )


def test_a_tuning_job_sagemaker_refuses_to_read_marks_the_package_at_once(server: str) -> None:
    sagemaker, waits = _RefusingSageMaker("AccessDeniedException", 400, fails=9), []
    result = handle(
        _tuned_request("denied1"),
        load_config("slipstream.toml"),
        rest=MlflowRest(server),
        sagemaker=sagemaker,
        sleep=waits.append,
    )
    assert result.status == "failed" and "AccessDeniedException" in (result.error or "")
    assert waits == [] and sagemaker.calls == 1  # a refusal is not retried
    assert sagemaker.updates == [{"ModelPackageArn": ARN, "CustomerMetadataProperties": {"mlflow": "failed"}}]


def test_a_throttled_tuning_job_read_is_retried_and_then_registers(server: str) -> None:
    sagemaker, waits = _RefusingSageMaker("ThrottlingException", 400, fails=1), []
    result = handle(
        _tuned_request("throttled1"),
        load_config("slipstream.toml"),
        rest=MlflowRest(server),
        sagemaker=sagemaker,
        sleep=waits.append,
    )
    assert result.status == "registered", result.error
    assert waits == [2] and sagemaker.updates == []
