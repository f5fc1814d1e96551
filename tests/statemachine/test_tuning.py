"""[tuning] on the emulated AWS path: the state machine runs a SageMaker tuning job whose trials are real training
jobs of train.py in trial mode, and the best trial's model is evaluated, gated and registered."""

from __future__ import annotations

import json
import tomllib

import pytest

from lambdas.common.s3uri import split_s3_uri
from slipstream.config import parse_config
from slipstream.local.stepfunctions.emulation import emulated_pipeline, upload_dataset
from slipstream.tuning_job import read_tuning_job
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
def tuned_run(tuned_config, probe) -> tuple[Outcome, dict, list[dict], dict]:
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
        # The card's reader, a page at a time (2 of 3 trials, then 1), against the emulated listing.
        paged = read_tuning_job(sagemaker, job["HyperParameterTuningJobName"], page=2)
        assert sorted(t.name for t in paged.trials) == sorted(t["TrainingJobName"] for t in trials)
        first = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=job["HyperParameterTuningJobName"], MaxResults=2
        )
        assert len(first["TrainingJobSummaries"]) == 2 and first["NextToken"]
        card = outcome.package_details[outcome.run_id]["ModelCard"]["ModelCardContent"]
        return outcome, job, trials, json.loads(card)


def test_a_tuned_pipeline_registers_the_best_trials_model(tuned_run) -> None:
    outcome, job, _, _ = tuned_run
    assert outcome.status == "SUCCEEDED", outcome.end
    validated = ["RunPaths", "MeasureData", "ValidateWhere", "ValidateData"]
    assert outcome.path[:6] == [*validated, "Tune", "DescribeBestTrainingJob"]
    assert "Train" not in outcome.path and "Register" in outcome.path
    best = job["BestTrainingJob"]
    assert job["HyperParameterTuningJobStatus"] == "Completed" and best["TrainingJobStatus"] == "Completed"
    # The served model (RetainModel's copy under models/) is byte for byte the best trial's (checked in the fixture).
    assert outcome.retained == ["models/tuned/baseline.json", "models/tuned/model.tar.gz"]


def test_every_trial_is_a_training_job_scored_on_cross_validation(tuned_run) -> None:
    _, job, trials, _ = tuned_run
    assert job["TrainingJobStatusCounters"]["Completed"] == TRIALS and len(trials) == TRIALS
    assert all(t["TrainingJobName"].startswith(job["HyperParameterTuningJobName"] + "-") for t in trials)
    for trial in trials:
        hyperparameters = trial["HyperParameters"]
        assert 0.01 <= float(hyperparameters["estimator__C"]) <= 10.0
        assert hyperparameters["estimator__fit_intercept"] in ("True", "False")
    objective = job["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]
    assert objective["MetricName"] == "cv:roc_auc" and objective["Type"] == "Maximize"
    assert 0.9 < objective["Value"] <= 1.0  # the CV roc_auc of a LogisticRegression on breast cancer


def test_the_model_card_records_the_search_from_the_tuning_jobs_own_records(tuned_run) -> None:
    _, job, trials, card = tuned_run
    best = job["BestTrainingJob"]
    chosen = {p["name"]: p["value"] for p in card["training_details"]["training_job_details"]["hyper_parameters"]}
    assert chosen == {
        "max_iter": "1000",  # fixed in [model] params
        "C": best["TunedHyperParameters"]["estimator__C"],
        "fit_intercept": best["TunedHyperParameters"]["estimator__fit_intercept"],
    }
    [objective] = card["training_details"]["training_job_details"]["training_metrics"]
    assert objective["name"] == "cv:roc_auc"
    assert objective["value"] == best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    search = next(e for e in card["evaluation_details"] if e["name"] == "hyperparameter search")
    [group] = search["metric_groups"]
    listed = {m["name"].removesuffix(" (best)"): m["value"] for m in group["metric_data"]}
    assert set(listed) == {t["TrainingJobName"] for t in trials}  # every trial, read page by page
    assert group["metric_data"][0]["name"] == best["TrainingJobName"] + " (best)"
    assert job["HyperParameterTuningJobName"] in search["evaluation_observation"]
    assert search["metadata"]["tuning_job"] == job["HyperParameterTuningJobArn"]
