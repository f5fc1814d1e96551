"""With [tuning], a SageMaker tuning job takes Train's place: its trials run Train's job in trial mode, and the best
trial's model lands where Train's would, for Evaluate and the gate."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from slipstream.tuning_config import TuningConfig
from tests.infra.conftest import INFRA_GROUP, stage_settings

pytestmark = INFRA_GROUP

SPACE = {"C": {"low": 0.001, "high": 100.0, "log": True}, "solver": {"choices": ["lbfgs", "liblinear"]}}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from aws_cdk import App, Stack
    from aws_cdk import aws_sns as sns
    from aws_cdk.assertions import Template

    from cdk.pipeline.stack import PipelineStack
    from cdk.shared.storage_stack import StorageExports

    settings = stage_settings()
    tuning = TuningConfig.model_validate({"trials": 6, "parallel_trials": 2, "space": SPACE}).model_copy(
        update={"metric": "roc_auc"}
    )
    model = settings.config.model.model_copy(update={"params": {"max_iter": 1000}})
    settings = replace(settings, config=settings.config.model_copy(update={"tuning": tuning, "model": model}))
    app = App(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    topic = sns.Topic(Stack(app, "Topics"), "Topic")
    stack = PipelineStack(app, "Pipeline", settings=settings, storage=StorageExports(settings.prefix), topic=topic)
    return Template.from_stack(stack).to_json()


@pytest.fixture(scope="module")
def states(template: dict[str, Any]) -> dict[str, Any]:
    from cdk.pipeline.doc import definition_from_template

    return definition_from_template(template)["States"]


def test_tune_replaces_train_and_hands_the_best_model_on(states: dict[str, Any]) -> None:
    assert "Train" not in states
    tune, best = states["Tune"], states["DescribeBestTrainingJob"]
    assert tune["Resource"] == "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync"
    assert tune["Next"] == "DescribeBestTrainingJob" and tune["ResultPath"] == "$.tuning"
    assert best["Parameters"]["TrainingJobName.$"] == "$.tuning.best_job"
    assert best["ResultSelector"]["model_data_url.$"] == "$.ModelArtifacts.S3ModelArtifacts"
    assert best["ResultPath"] == "$.training"  # what Evaluate's model input and the model card read


def test_the_search_is_the_configs(states: dict[str, Any]) -> None:
    config = states["Tune"]["Parameters"]["HyperParameterTuningJobConfig"]
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Maximize", "MetricName": "cv:roc_auc"}
    assert config["ResourceLimits"] == {
        "MaxNumberOfTrainingJobs": 6,
        "MaxParallelTrainingJobs": 2,
        "MaxRuntimeInSeconds": 1800,
    }
    assert config["ParameterRanges"] == {
        "ContinuousParameterRanges": [
            {"Name": "estimator__C", "MinValue": "0.001", "MaxValue": "100.0", "ScalingType": "Logarithmic"}
        ],
        "CategoricalParameterRanges": [{"Name": "estimator__solver", "Values": ["lbfgs", "liblinear"]}],
    }


def test_each_trial_is_trains_job_in_trial_mode_and_reports_the_objective(states: dict[str, Any]) -> None:
    definition = states["Tune"]["Parameters"]["TrainingJobDefinition"]
    static = definition["StaticHyperParameters"]
    tuning = json.loads(json.loads(static["tuning"]))  # SDK-encoded JSON text of the spec
    assert tuning["mode"] == "trial" and tuning["metric"] == "roc_auc" and set(tuning["space"]) == {"C", "solver"}
    assert not any(name.startswith("estimator__") for name in static)  # the tuned names are the job's to add
    regex = definition["AlgorithmSpecification"]["MetricDefinitions"][0]["Regex"]
    from tuning import OBJECTIVE_LINE  # training/tuning.py: the writer of the line this regex reads

    match = re.search(regex, "junk " + OBJECTIVE_LINE.format(metric="roc_auc", value=0.912345678901) + " junk")
    assert match is not None and float(match.group(1)) == pytest.approx(0.912345678901)
    assert "ContainerEntrypoint" not in definition["AlgorithmSpecification"]  # not a field of a tuning job's


def test_the_state_machine_may_run_watch_and_stop_the_tuning_job(template: dict[str, Any]) -> None:
    statements = [
        s
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy"
        for s in resource["Properties"]["PolicyDocument"]["Statement"]
    ]
    # IAM action names are case-insensitive (CDK's SDK-integration tasks write `sagemaker:describeTrainingJob`).
    actions = {a.lower() for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    for action in (
        "sagemaker:CreateHyperParameterTuningJob",
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:StopHyperParameterTuningJob",
        "sagemaker:DescribeTrainingJob",
    ):
        assert action.lower() in actions
    rules = json.dumps(statements)
    assert "StepFunctionsGetEventsForSageMakerTuningJobsRule" in rules
    # Train is not in the graph: none of its job's grants stay on the role (the tuning job creates the trials).
    assert "sagemaker:createtrainingjob" not in actions and "sagemaker:stoptrainingjob" not in actions
    assert "StepFunctionsGetEventsForSageMakerTrainingJobsRule" not in rules
