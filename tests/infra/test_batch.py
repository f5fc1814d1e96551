"""The batch stack (cdk/batch/): its trigger, its state machine's processing job against the scorer's flags,
and the least privilege of both roles, read from the synthesized templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cdk.pipeline.doc import definition_from_template
from slipstream import batch_job
from slipstream.config import load_config
from slipstream.job_arguments import processing_path
from slipstream.job_commands import BATCH_ENTRYPOINT
from slipstream.layout import CONTRACT_KEY, DEPLOYMENT_KEY
from tests.infra.conftest import INFRA_GROUP

REPO = Path(__file__).resolve().parents[2]

pytestmark = INFRA_GROUP
BATCH = load_config(REPO / "slipstream.toml").batch


@pytest.fixture(scope="module")
def template(synthesized) -> dict[str, Any]:
    return synthesized.templates["batch"]


@pytest.fixture(scope="module")
def states(template) -> dict[str, Any]:
    return definition_from_template(template)["States"]


def _of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def _statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    found = []
    for policy in _of_type(template, "AWS::IAM::Policy"):
        if any(r["Ref"].startswith(role_prefix) for r in policy["Properties"]["Roles"]):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def test_files_under_the_input_prefix_of_the_data_bucket_start_the_machine(template) -> None:
    (rule,) = _of_type(template, "AWS::Events::Rule")
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"] == {"key": [{"prefix": BATCH.input_prefix}]}
    assert "data-bucket-arn" in json.dumps(pattern["detail"]["bucket"])
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"]["Ref"].startswith("BatchScoring") and target["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_the_processing_job_mounts_what_the_scorer_is_told_to_read_and_write(states) -> None:
    """The seam: the job's LocalPaths (definition) against the scorer's flags (slipstream/batch_job.py)."""
    job = states["Score"]["Parameters"]
    assert states["Score"]["Resource"].endswith(":states:::sagemaker:createProcessingJob.sync")
    arguments = job["AppSpecification"]["ContainerArguments"]
    assert job["AppSpecification"]["ContainerEntrypoint"] == BATCH_ENTRYPOINT
    flags = dict(zip(arguments[::2], arguments[1::2], strict=False))
    mounted = {i["S3Input"]["LocalPath"]: i for i in job["ProcessingInputs"]}
    assert flags["--input"] in mounted and mounted[flags["--input"]]["S3Input"]["S3Uri.$"] == "$.batch.manifest_uri"
    # Exactly the file: an S3Prefix input of `x.csv` would also take `x.csv.bak` (Locate writes the manifest).
    assert mounted[flags["--input"]]["S3Input"]["S3DataType"] == "ManifestFile"
    assert flags["--model"] in mounted and mounted[flags["--model"]]["S3Input"]["S3Uri.$"] == "$.champion.model_data"
    contract_folder, _, contract_file = flags["--contract"].rpartition("/")
    assert contract_file == CONTRACT_KEY.rsplit("/", 1)[1]
    assert json.dumps(mounted[contract_folder]["S3Input"]["S3Uri"]).count(CONTRACT_KEY) == 1
    (output,) = job["ProcessingOutputConfig"]["Outputs"]
    assert output["S3Output"]["LocalPath"] == flags["--output"] == processing_path(batch_job.SCORES)
    for written in (flags["--rejects"], flags["--summary"]):
        assert written.startswith(flags["--output"] + "/")  # uploaded with the predictions
    assert flags["--on-bad-row"] == BATCH.on_bad_row
    assert job["Environment"]["SLIPSTREAM_MODEL_VERSION.$"] == "$.champion.version"  # model_fn reports it
    name = job["ProcessingJobName.$"]
    assert "-batch-" in name and "States.UUID()" in name


def test_results_go_beside_the_input_under_the_output_prefix(states, template) -> None:
    # The Locate function names the folder (slipstream/batch_keys.py, tested in tests/unit/batch) from the
    # prefixes this stack gives it; the job's output and the summary read come from its answer.
    assert states["Locate"]["ResultPath"] == "$.batch"
    assert states["LocateOutput"]["Parameters"] == {
        "folder.$": "$.batch.output_folder",
        "summary_key.$": "$.batch.summary_key",
    }
    (function,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    env = function["Properties"]["Environment"]["Variables"]
    assert (env["INPUT_PREFIX"], env["OUTPUT_PREFIX"]) == (BATCH.input_prefix, BATCH.output_prefix)
    assert env["SUMMARY_FILE"] == batch_job.SUMMARY_FILE
    assert states["ShouldScore"]["Default"] == "Ignored"


def test_every_path_ends_in_a_notification(states) -> None:
    for name, state in states.items():
        if state["Type"] == "Task" and not name.startswith("Notify"):
            # Before Locate has decoded the key only the event's (form-encoded) exists: a message of its own.
            expected = "NotifyLocateFailed" if name == "Locate" else "NotifyBatchFailed"
            assert state["Catch"][0]["Next"] == expected, name
    assert states["NoChampion"]["Next"] == "NotifyBatchFailed"
    assert states["NotifyBatchFailed"]["Next"] == states["NotifyLocateFailed"]["Next"] == "BatchFailed"
    # Messages name the file by its decoded key; the locate failure says the event's key is S3's encoding.
    assert states["NotifyBatchFailed"]["Parameters"]["Message"]["file.$"] == "$.batch.key"
    assert "file.$" not in states["NotifyLocateFailed"]["Parameters"]["Message"]
    assert states["NotifyLocateFailed"]["Parameters"]["Message"]["event_key.$"] == "$.detail.object.key"
    assert states["NotifyScored"]["Next"] == "Scored"


def test_the_job_role_reads_only_the_input_prefix_and_writes_only_the_output_prefix(template) -> None:
    statements = _statements(template, "BatchJobRole")
    text = json.dumps(statements)
    writes = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert len(writes) == 1 and f"/{BATCH.output_prefix}*" in json.dumps(writes[0]["Resource"])
    assert f"/{BATCH.input_prefix}*" in text and "/models/*" in text and f"/{CONTRACT_KEY}" in text
    assert "runs/" not in text  # nothing of the training runs


def test_the_state_machine_role_passes_only_the_job_role_and_reads_only_the_record_and_summaries(template) -> None:
    statements = _statements(template, "BatchScoringRole")
    (passing,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert passing["Resource"]["Fn::GetAtt"][0].startswith("BatchJobRole")
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    reads = json.dumps([s["Resource"] for s in statements if s["Action"] == "s3:GetObject"])
    assert DEPLOYMENT_KEY in reads and f"/{BATCH.output_prefix}*" in reads and BATCH.input_prefix not in reads
    jobs = next(s for s in statements if "sagemaker:CreateProcessingJob" in s["Action"])
    assert "-batch-*" in json.dumps(jobs["Resource"])
