"""The ValidateData processing job (lambdas/validate_data/job.py) against the Lambda route: the same data gives the
same run folder, the same stored contract and the same ValidationOutput, which the state machine reads back."""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from cdk.pipeline.validation_code import validation_code_files
from lambdas.validate_data import job
from lambdas.validate_data.logic import run_validation
from slipstream import job_arguments, layout
from slipstream.config import load_config
from slipstream.dataset import load_dataset
from slipstream.documents.run import RunRequest
from slipstream.documents.validation import ValidationOutput
from slipstream.local import image_env
from slipstream.sourcedir import write_archive

REPO = Path(__file__).resolve().parents[2]
KEY, RUN = "incoming/cancer.csv", "seam-1"


@pytest.fixture(scope="module")
def config():
    return load_config(REPO / "slipstream.toml")


@pytest.fixture(scope="module")
def csv(config) -> bytes:
    return load_dataset(config).to_csv(index=False).encode()


def _lambda_route(config, csv: bytes, stored_contract: bytes | None) -> tuple[ValidationOutput, dict[str, bytes]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        for bucket in ("data", "artifacts"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_object(Bucket="data", Key=KEY, Body=csv)
        if stored_contract is not None:
            s3.put_object(Bucket="artifacts", Key=layout.CONTRACT_KEY, Body=stored_contract)
        request = RunRequest(run_id=RUN, data={"bucket": "data", "key": KEY})
        output = run_validation(request, config, s3=s3, artifact_bucket="artifacts")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="artifacts")["Contents"]]
        return output, {k: s3.get_object(Bucket="artifacts", Key=k)["Body"].read() for k in keys}


def _job_route(config, csv: bytes, stored_contract: bytes | None, tmp: Path, monkeypatch) -> dict[str, bytes]:
    """What the job's outputs upload: runs/<run id>/... and contract/..., as S3 keys."""
    monkeypatch.setenv("SAGEMAKER_BASE_DIR", str(tmp))
    mount = job.container_path
    data = mount(job_arguments.VALIDATION_DATA) / Path(KEY).name
    data.parent.mkdir(parents=True)
    data.write_bytes(csv)
    if stored_contract is not None:
        contract = mount(job_arguments.VALIDATION_CONTRACT) / Path(layout.CONTRACT_KEY).name
        contract.parent.mkdir(parents=True)
        contract.write_bytes(stored_contract)
    code = tmp / "code"
    code.mkdir()
    (code / job.CONFIG_FILE).write_text(config.lambda_json(), encoding="utf-8")
    args = ["--run-id", RUN, "--data-bucket", "data", "--data-key", KEY, "--artifact-bucket", "artifacts"]
    job.validate(job.parse_args(args), code)
    uploaded = {}
    for local, prefix in (
        (job_arguments.VALIDATION_RUN_OUTPUT, layout.run_prefix(RUN)),
        (job_arguments.VALIDATION_CONTRACT_OUTPUT, layout.CONTRACT_PREFIX),
    ):
        folder = mount(local)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            uploaded[prefix + path.relative_to(folder).as_posix()] = path.read_bytes()
    return uploaded


def _comparable(objects: dict[str, bytes]) -> dict[str, object]:
    """Contracts carry their creation time; everything else must match byte for byte."""
    shown: dict[str, object] = {}
    for key, body in objects.items():
        if key.endswith(layout.CONTRACT):
            contract = json.loads(body)
            contract.pop("created_at", None)
            shown[key] = contract
        else:
            shown[key] = body
    return shown


@pytest.mark.parametrize("first_run", [True, False], ids=["first-run", "stored-contract"])
def test_the_job_writes_what_the_lambda_writes(config, csv, first_run, tmp_path, monkeypatch):
    stored = None
    if not first_run:
        _, first = _lambda_route(config, csv, None)
        stored = first[layout.CONTRACT_KEY]
    output, by_lambda = _lambda_route(config, csv, stored)
    by_job = _job_route(config, csv, stored, tmp_path, monkeypatch)

    answer = by_job.pop(layout.run_key(RUN, layout.VALIDATION_OUTPUT))
    assert ValidationOutput.model_validate_json(answer) == output  # what ReadValidation puts at $.validation
    if stored is not None:  # the Lambda's bucket still holds the stored contract; the job leaves it be
        assert layout.CONTRACT_KEY not in by_job and not output.is_new_contract
        by_lambda.pop(layout.CONTRACT_KEY)
    assert _comparable(by_job) == _comparable(by_lambda)


def test_an_s3_call_the_job_has_no_mount_for_fails_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_BASE_DIR", str(tmp_path))
    s3 = job.MountedS3(RUN, ("data", KEY), "artifacts")
    with pytest.raises(RuntimeError, match=re.escape("no output for s3://artifacts/deployment/deployment.json")):
        s3.put_object(Bucket="artifacts", Key=layout.DEPLOYMENT_KEY, Body=b"{}")


def test_the_code_archive_imports_on_the_images_python(config, tmp_path):
    """The job runs on the image's Python 3.10 with only the archive's packages added (pydantic is not there)."""
    archive = write_archive(validation_code_files(config.lambda_json(), tmp_path), tmp_path / "code.tar.gz")
    code = tmp_path / "code"
    with tarfile.open(archive) as tar:
        tar.extractall(code, filter="data")
    probe = "import lambdas.validate_data.job, lambdas.validate_data.logic, slipstream.steps.validate"
    done = subprocess.run(
        [str(image_env.image_python()), "-c", probe],
        cwd=code,
        env={"PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
