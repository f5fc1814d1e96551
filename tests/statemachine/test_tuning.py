"""[tuning] on the emulated AWS path: the state machine runs a SageMaker tuning job whose trials are real training
jobs of train.py in trial mode, and the best trial's model is evaluated, gated and registered."""

from __future__ import annotations

import tomllib

import pytest

from lambdas.common.s3uri import split_s3_uri
from slipstream.config import parse_config
from slipstream.local.stepfunctions.emulation import emulated_pipeline, upload_dataset
from tests.statemachine.conftest import REPO
from tests.statemachine.scenarios import Outcome, Pipeline

pytestmark = pytest.mark.xdist_group("statemachine-tuning")  # its own account: see conftest.py
TRIALS = 3


@pytest.fixture(scope="module")
def tuned_config():
    raw = tomllib.loads((REPO / "slipstream.toml").read_text())
    raw["model"]["params"] = {"max_iter": 1000}  # C is searched, so it may not be fixed as well
    raw["tuning"] = {
        "trials": TRIALS,
        "space": {"C": {"low": 0.01, "high": 10.0, "log": True}, "fit_intercept": {"choices": [True, False]}},
    }
    return parse_config(raw, base_dir=REPO)


@pytest.fixture(scope="module")
def tuned_run(tuned_config, probe) -> tuple[Outcome, dict, list[dict]]:
    with emulated_pipeline(tuned_config) as world:
        pipeline = Pipeline(world, probe)
        outcome = pipeline.run("tuned", upload_dataset(world, tuned_config))
        sagemaker = world.client("sagemaker")
        jobs = sagemaker.list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"]
        job = sagemaker.describe_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=jobs[0]["HyperParameterTuningJobName"]
        )
        trials = [
            sagemaker.describe_training_job(TrainingJobName=summary["TrainingJobName"])
            for summary in sagemaker.list_training_jobs()["TrainingJobSummaries"]
        ]
        best = next(t for t in trials if t["TrainingJobName"] == job["BestTrainingJob"]["TrainingJobName"])
        s3 = world.client("s3")
        served, trained = (
            s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            for bucket, key in (
                split_s3_uri(uri) for uri in (outcome.served_model_url, best["ModelArtifacts"]["S3ModelArtifacts"])
            )
        )
        assert served == trained, "the served model is not the best trial's"
        return outcome, job, trials


def test_a_tuned_pipeline_registers_the_best_trials_model(tuned_run) -> None:
    outcome, job, _ = tuned_run
    assert outcome.status == "SUCCEEDED", outcome.end
    validated = ["RunPaths", "MeasureData", "ValidateWhere", "ValidateData"]
    assert outcome.path[:6] == [*validated, "Tune", "DescribeBestTrainingJob"]
    assert "Train" not in outcome.path and "Register" in outcome.path
    best = job["BestTrainingJob"]
    assert job["HyperParameterTuningJobStatus"] == "Completed" and best["TrainingJobStatus"] == "Completed"
    # The served model (RetainModel's copy under models/) is byte for byte the best trial's (checked in the fixture).
    assert outcome.retained == ["models/tuned/baseline.json", "models/tuned/model.tar.gz"]


def test_every_trial_is_a_training_job_scored_on_cross_validation(tuned_run) -> None:
    _, job, trials = tuned_run
    assert job["TrainingJobStatusCounters"]["Completed"] == TRIALS and len(trials) == TRIALS
    assert all(t["TrainingJobName"].startswith(job["HyperParameterTuningJobName"] + "-") for t in trials)
    for trial in trials:
        hyperparameters = trial["HyperParameters"]
        assert 0.01 <= float(hyperparameters["estimator__C"]) <= 10.0
        assert hyperparameters["estimator__fit_intercept"] in ("True", "False")
    objective = job["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]
    assert objective["MetricName"] == "cv:roc_auc" and objective["Type"] == "Maximize"
    assert 0.9 < objective["Value"] <= 1.0  # the CV roc_auc of a LogisticRegression on breast cancer
