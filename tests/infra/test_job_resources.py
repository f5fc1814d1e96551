"""The jobs' resources from the stage config: the training instance type and count, the warm pool (opt-in), and
ValidateData's route by size (cdk/pipeline/training.py, cdk/pipeline/validation.py, cdk/pipeline/instances.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import stage_settings


def _pipeline_definition(tmp_path, **stage: Any) -> dict[str, Any]:
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from cdk.app import build_app
    from cdk.pipeline.doc import definition_from_template

    app = App(outdir=str(tmp_path))
    stacks = build_app(app, stage_settings(**stage))
    pipeline = stacks["pipeline"]
    assert isinstance(pipeline, Stack)
    return definition_from_template(Template.from_stack(pipeline).to_json())


def test_by_default_train_has_no_warm_pool_and_one_instance(definition):
    resources = definition["States"]["Train"]["Parameters"]["ResourceConfig"]
    assert "KeepAlivePeriodInSeconds" not in resources
    assert (resources["InstanceType"], resources["InstanceCount"]) == ("ml.m5.large", 1)


def test_validate_data_takes_the_processing_job_above_the_threshold(definition):
    from slipstream.stage_config import StageConfig

    (rule,) = definition["States"]["ValidateWhere"]["Choices"]
    assert rule == {
        "Variable": "$.data_size.bytes",
        "NumericGreaterThan": StageConfig().validation_processing_threshold_bytes,
        "Next": "FindContract",
    }
    assert definition["States"]["ValidateWhere"]["Default"] == "ValidateData"
    job = definition["States"]["ValidateDataJob"]
    assert job["Resource"].endswith(":states:::sagemaker:createProcessingJob.sync")
    assert job["Parameters"]["ProcessingResources"]["ClusterConfig"]["InstanceType"] == "ml.m5.2xlarge"
    # Both routes continue to Train with the same document at $.validation.
    assert definition["States"]["UseValidation"]["ResultPath"] == "$.validation"
    assert definition["States"]["UseValidation"]["Next"] == definition["States"]["ValidateData"]["Next"] == "Train"


def test_a_warm_pool_and_the_instance_type_reach_the_training_job(tmp_path):
    definition = _pipeline_definition(tmp_path, training_keep_alive_minutes=30, training_instance_type="ml.c5.2xlarge")
    resources = definition["States"]["Train"]["Parameters"]["ResourceConfig"]
    assert resources["KeepAlivePeriodInSeconds"] == 1800
    assert resources["InstanceType"] == "ml.c5.2xlarge"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("training_instance_type", "ml.p3.2xlarge", "CPU instances only"),
        ("training_instance_type", "ml.m5.huge", "is not a SageMaker TrainingInstanceType"),
        ("validation_instance_type", "ml.m5.huge", "is not a SageMaker ProcessingInstanceType"),
    ],
)
def test_an_instance_type_sagemaker_does_not_offer_fails_the_synthesis(field, value, message):
    from cdk.pipeline.instances import check_instance_type

    shape = "TrainingInstanceType" if field.startswith("training") else "ProcessingInstanceType"
    with pytest.raises(ValueError, match=f"\\[stages.dev\\] {field} = '{value}'.*{message}"):
        check_instance_type("dev", field, value, shape)


def test_more_than_one_training_instance_is_refused_by_the_config():
    from pydantic import ValidationError

    from slipstream.stage_config import StageConfig

    with pytest.raises(ValidationError, match="training_instance_count"):
        StageConfig(training_instance_count=2)
    with pytest.raises(ValidationError, match="training_keep_alive_minutes"):
        StageConfig(training_keep_alive_minutes=61)
