"""SageMaker jobs as the container runs them, in both engines: the local runner's (slipstream.local.sagemaker)
and the emulated SageMaker's (create_training_job against moto). The image's own `train` replaces the
script's failure reason with "framework error: <traceback>"; the toolkit's trainer named as ContainerEntrypoint
keeps it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from slipstream.errors import StepFailed
from slipstream.job_arguments import sdk_encoded
from slipstream.job_commands import TRAINING_ENTRYPOINT
from slipstream.local.sagemaker import run_processing_job, run_training_job
from slipstream.local.stepfunctions import moto_extensions
from slipstream.sourcedir import PROJECT_ROOT, build_sourcedir
from tests.aws_roles import sagemaker_role_for_bucket

pytestmark = pytest.mark.slow  # each test runs a SageMaker job on the image's Python

LOGISTIC = "sklearn.linear_model.LogisticRegression"
NO_TARGET = "radius,texture\n1.0,2.0\n3.0,4.0\n"
HYPERPARAMETERS = {"target": "diagnosis", "task": "classification", "estimator": LOGISTIC, "params": "{}"}


@pytest.fixture(scope="module")
def no_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("no-target")
    (folder / "train.csv").write_text(NO_TARGET)
    return folder


def _local(tmp_path: Path, data: Path, entrypoint: list[str] | None, **values: object) -> StepFailed:
    sourcedir = build_sourcedir(PROJECT_ROOT, tmp_path / "sourcedir")
    hyperparameters = {**HYPERPARAMETERS, **values, "sagemaker_program": "train.py"}
    hyperparameters["sagemaker_submit_directory"] = str(sourcedir)
    with pytest.raises(StepFailed) as failed:
        run_training_job(
            tmp_path / "opt" / "ml",
            channels={"train": data},
            hyperparameters=sdk_encoded(hyperparameters),
            entrypoint=entrypoint,
        )
    return failed.value


def test_local_training_through_the_toolkit_reports_the_scripts_own_reason(tmp_path: Path, no_target: Path) -> None:
    failed = _local(tmp_path, no_target, TRAINING_ENTRYPOINT)
    failure = (tmp_path / "opt" / "ml" / "output" / "failure").read_text()
    assert failure.startswith("train.py failed:") and "diagnosis" in failure
    assert failed.message == f"Train failed (exit code 1): {failure}"
    log = (tmp_path / "opt" / "train.log").read_text()
    assert "Failure file exists. Skipping creation" in log  # sagemaker_training's trainer kept the script's file
    # the toolkit's own command line: its interpreter, hyperparameters sorted, `--name str(value)`
    assert "python3 train.py --estimator sklearn.linear_model.LogisticRegression --params {} --target diagnosis" in log


def test_the_images_own_train_replaces_the_reason_with_a_traceback(tmp_path: Path, no_target: Path) -> None:
    _local(tmp_path, no_target, None)
    failure = (tmp_path / "opt" / "ml" / "output" / "failure").read_text()
    assert failure.startswith("framework error: \nTraceback") and "ExecuteUserScriptError" in failure
    assert "train.py failed" not in failure


def test_the_toolkits_hyperparameter_encoding_reaches_the_script(tmp_path: Path, no_target: Path) -> None:
    """A dict hyperparameter arrives as the toolkit formats it (`C=1,max_iter=5`), not as JSON."""
    failed = _local(tmp_path, no_target, TRAINING_ENTRYPOINT, params={"C": 1, "max_iter": 5})
    assert "--params must be JSON (dict), got 'C=1,max_iter=5'" in failed.message


def test_a_processing_job_runs_its_entrypoint_as_written_on_the_images_python(tmp_path: Path) -> None:
    script = 'python3 -c "import sys; print(sys.version_info[:2], sys.argv[1:])" "$@" > /opt/ml/processing/out/seen'
    folders = run_processing_job(
        tmp_path / "opt" / "ml",
        entrypoint=["/bin/sh", "-c", script, "probe"],
        arguments=["--in", "/opt/ml/processing/in"],
        inputs={"/opt/ml/processing/in": build_sourcedir(PROJECT_ROOT, tmp_path / "src")},
        outputs=["/opt/ml/processing/out"],
    )
    seen = (folders["/opt/ml/processing/out"] / "seen").read_text().strip()
    assert seen == f"(3, 10) ['--in', '{tmp_path / 'opt' / 'ml' / 'processing' / 'in'}']"
    assert (tmp_path / "opt" / "ml" / "processing" / "in" / "sourcedir.tar.gz").is_file()


# --- the emulated SageMaker (what `--engine stepfunctions` and tests/statemachine run) --------------------------
def _emulated_failure(tmp_path: Path, entrypoint: list[str] | None) -> str:
    moto_extensions.install()
    with mock_aws(config=moto_extensions.MOTO_CONFIG):  # type: ignore[call-overload]
        s3, sagemaker = boto3.client("s3", region_name="us-east-1"), boto3.client("sagemaker", region_name="us-east-1")
        s3.create_bucket(Bucket="artifacts")
        role = sagemaker_role_for_bucket("artifacts")
        s3.upload_file(str(build_sourcedir(PROJECT_ROOT, tmp_path)), "artifacts", "code/0123abcd.gz")
        s3.put_object(Bucket="artifacts", Key="runs/r1/data/train/train.csv", Body=NO_TARGET.encode())
        values = {**HYPERPARAMETERS, "sagemaker_program": "train.py"}
        values["sagemaker_submit_directory"] = "s3://artifacts/code/0123abcd.gz"
        spec = {"TrainingImage": "sagemaker-scikit-learn:1.4-2-cpu-py3", "TrainingInputMode": "File"}
        sagemaker.create_training_job(
            TrainingJobName="no-target",
            RoleArn=role,
            AlgorithmSpecification={**spec, **({"ContainerEntrypoint": entrypoint} if entrypoint else {})},
            HyperParameters={k: json.dumps(v) for k, v in values.items()},
            InputDataConfig=[
                {
                    "ChannelName": "train",
                    "DataSource": {
                        "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://artifacts/runs/r1/data/train"}
                    },
                }
            ],
            OutputDataConfig={"S3OutputPath": "s3://artifacts/runs/r1/model"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
        )
        for _ in range(600):
            job = sagemaker.describe_training_job(TrainingJobName="no-target")
            if job["TrainingJobStatus"] != "InProgress":
                break
            time.sleep(0.2)
    assert job["TrainingJobStatus"] == "Failed"
    return job["FailureReason"]


def test_emulated_training_with_the_toolkits_entrypoint_reports_the_scripts_reason(tmp_path: Path) -> None:
    reason = _emulated_failure(tmp_path, TRAINING_ENTRYPOINT)
    assert reason.startswith("AlgorithmError: train.py failed:") and "diagnosis" in reason


def test_emulated_training_with_the_images_train_loses_it(tmp_path: Path) -> None:
    reason = _emulated_failure(tmp_path, None)
    assert reason.startswith("AlgorithmError: framework error: \nTraceback") and "train.py failed" not in reason
