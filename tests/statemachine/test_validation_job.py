"""ValidateData as a SageMaker processing job (cdk/pipeline/validation.py): a stage whose threshold every upload
exceeds validates through ValidateDataJob, on the image's Python with the job's own code archive, and deploys;
the second run reads the stored contract the first one wrote through the job's contract output."""

from __future__ import annotations

import pytest

from slipstream import layout
from slipstream.config import parse_config
from slipstream.local.stepfunctions.emulation import emulated_pipeline, upload_dataset
from tests.statemachine.scenarios import Outcome, Pipeline

pytestmark = pytest.mark.xdist_group("statemachine-validation-job")  # its own account: see conftest.py


@pytest.fixture(scope="module")
def job_config(config):
    raw = config.model_dump(mode="json", exclude={"base_dir"})
    dev = raw.setdefault("stages", {}).get("dev") or {}
    raw["stages"]["dev"] = {**dev, "validation_processing_threshold_mb": 0}
    return parse_config(raw, base_dir=config.base_dir)


@pytest.fixture(scope="module")
def job_runs(job_config, probe) -> dict[str, Outcome | dict]:
    with emulated_pipeline(job_config) as world:
        pipeline = Pipeline(world, probe)
        good = upload_dataset(world, job_config)
        outcomes: dict[str, Outcome | dict] = {"first": pipeline.run("job-first", good)}
        s3 = world.client("s3")
        listing = s3.list_objects_v2(Bucket=world.artifact_bucket, Prefix=layout.run_prefix("job-first"))
        outcomes["first_keys"] = {item["Key"] for item in listing.get("Contents", [])}
        outcomes["second"] = pipeline.run("job-second", good)
        return outcomes


def test_a_large_upload_is_validated_by_the_processing_job_and_deployed(job_runs):
    first = job_runs["first"]
    assert first.status == "SUCCEEDED", [n.get("error") for n in first.notifications]
    assert (first.path[1:6]) == [
        "MeasureData",
        "ValidateWhere",
        "FindContract",
        "HasStoredContract",
        "ValidationJobInputs",
    ]
    assert "ValidateData" not in first.path
    assert first.path[6:9] == ["ValidateDataJob", "ReadValidation", "UseValidation"]
    assert first.packages == {"job-first": "Approved"} and first.answer is not None


def test_the_job_writes_the_run_folder_the_later_states_read(job_runs):
    prefix = layout.run_prefix("job-first")
    keys = job_runs["first_keys"]
    for relative in (layout.CONTRACT, layout.BASELINE, layout.VALIDATION, layout.BEHAVIOUR, layout.VALIDATION_OUTPUT):
        assert prefix + relative in keys
    assert any(key.startswith(prefix + layout.TRAIN_CHANNEL) for key in keys)


def test_the_second_run_checks_the_contract_the_first_job_stored(job_runs):
    second = job_runs["second"]
    assert second.status == "SUCCEEDED", [n.get("error") for n in second.notifications]
    assert "ValidationJobWithContract" in second.path
    assert second.path.count("ValidateDataJob") == 1 and "ValidateData" not in second.path
    assert second.packages["job-second"] == "Approved"


def test_the_two_runs_visit_every_state_the_coverage_test_leaves_to_them(job_runs):
    from tests.statemachine.test_coverage import PROCESSING_ROUTE

    visited = set(job_runs["first"].path) | set(job_runs["second"].path)
    assert set(PROCESSING_ROUTE) <= visited
