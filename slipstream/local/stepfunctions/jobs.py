"""SageMaker training and processing jobs, run from their Create* requests against (moto) S3.

The container part is `slipstream.local.sagemaker`, the same emulation `slipstream run` uses (the image's
Python and toolkits, /opt/ml mapped onto a folder); this module adds what SageMaker does around it: download
the channels, the inputs and the submitted sourcedir from S3, upload model.tar.gz / the processing outputs,
and report Completed or Failed with the reason SageMaker would give (`AlgorithmError: <the failure file>`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdas.common.s3uri import split_s3_uri
from slipstream.errors import StepFailed
from slipstream.layout import MODEL_ARCHIVE
from slipstream.local.sagemaker import archive_model, map_opt_ml, run_processing_job, run_training_job

PROCESSING_ROOT = "/opt/ml/processing/"
SUBMIT_DIRECTORY = "sagemaker_submit_directory"


@dataclass
class JobOutcome:
    status: str  # Completed | Failed
    failure_reason: str | None = None
    exit_message: str | None = None


class JobError(Exception):
    """The job fails before or around the user's script (missing input, missing code): a ClientError on AWS."""


def download_prefix(s3: Any, uri: str, target: Path) -> list[Path]:
    """SageMaker's S3Prefix download: every object under the prefix, relative to the prefix's folder."""
    bucket, prefix = split_s3_uri(uri)
    base = prefix if prefix.endswith("/") else prefix.rpartition("/")[0] + "/" if "/" in prefix else ""
    files = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith("/"):
                continue
            local = target / item["Key"][len(base) :]
            local.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(local))
            files.append(local)
    if not files:
        raise JobError(f'ClientError: No S3 objects found under S3 URL "{uri}" given in input data source.')
    target.mkdir(parents=True, exist_ok=True)
    return files


def download_manifest(s3: Any, uri: str, target: Path) -> list[Path]:
    """SageMaker's ManifestFile download: the manifest (`[{"prefix": "s3://bucket/dir/"}, "key", ...]`) names the
    objects, each downloaded to `target/<key>`; a manifest that cannot be read or names a missing object fails
    the job before the script starts."""
    bucket, key = split_s3_uri(uri)
    try:
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        prefix, keys = manifest[0]["prefix"], manifest[1:]
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise JobError(f"ClientError: The manifest file {uri} is not valid: {error}") from None
    if not keys or not all(isinstance(k, str) for k in keys):
        raise JobError(f"ClientError: The manifest file {uri} lists no S3 object keys")
    source_bucket, base = split_s3_uri(prefix)
    files = []
    for relative in keys:
        local = target / relative
        local.parent.mkdir(parents=True, exist_ok=True)
        try:
            s3.download_file(source_bucket, base + relative, str(local))
        except Exception as error:  # botocore's ClientError (404, 403): SageMaker fails the job the same way
            raise JobError(f"ClientError: Failed to download s3://{source_bucket}/{base}{relative} ({error})") from None
        files.append(local)
    return files


def upload_folder(s3: Any, folder: Path, uri: str, kms_key: str | None = None) -> None:
    bucket, prefix = split_s3_uri(uri.rstrip("/") + "/")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, prefix + path.relative_to(folder).as_posix(), ExtraArgs=_sse(kms_key))


def _sse(kms_key: str | None) -> dict[str, str]:
    """The request's output KmsKeyId: SageMaker writes the outputs encrypted with it."""
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else {}


def run_training(request: dict[str, Any], workdir: Path, s3: Any) -> JobOutcome:
    """Download the channels and the sourcedir, run the container's trainer, upload model.tar.gz."""
    opt_ml = workdir / "opt" / "ml"
    channels = {}
    for channel in request.get("InputDataConfig", []):
        name = channel["ChannelName"]
        channels[name] = opt_ml / "input" / "data" / name
        download_prefix(s3, channel["DataSource"]["S3DataSource"]["S3Uri"], channels[name])
    spec = request.get("AlgorithmSpecification") or {}
    try:
        model_dir = run_training_job(
            opt_ml,
            channels=channels,
            hyperparameters=_local_submit_directory(request.get("HyperParameters") or {}, workdir, s3),
            entrypoint=spec.get("ContainerEntrypoint"),
            arguments=spec.get("ContainerArguments") or [],
            environment=request.get("Environment"),
        )
    except StepFailed as error:
        failure = opt_ml / "output" / "failure"
        reason = failure.read_text(encoding="utf-8").strip() if failure.is_file() else error.message
        return JobOutcome("Failed", failure_reason=f"AlgorithmError: {reason}")
    archive = archive_model(model_dir, workdir / MODEL_ARCHIVE)
    output = request["OutputDataConfig"]["S3OutputPath"].rstrip("/")
    bucket, key = split_s3_uri(f"{output}/{request['TrainingJobName']}/output/{MODEL_ARCHIVE}")
    s3.upload_file(str(archive), bucket, key, ExtraArgs=_sse(request.get("OutputKmsKeyId")))
    return JobOutcome("Completed")


def _local_submit_directory(hyperparameters: dict[str, str], workdir: Path, s3: Any) -> dict[str, str]:
    """The toolkit downloads an s3:// sourcedir with boto3 itself, which cannot reach this process's moto:
    download the object first and name the local archive instead (the toolkit extracts it the same way)."""
    try:
        uri = json.loads(hyperparameters.get(SUBMIT_DIRECTORY, "null"))
    except ValueError:
        return hyperparameters  # the toolkit keeps an undecodable value as it is, and fails on it its own way
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        return hyperparameters
    bucket, key = split_s3_uri(uri)
    archive = workdir / "submit" / "sourcedir.tar.gz"
    archive.parent.mkdir(parents=True, exist_ok=True)
    try:
        s3.download_file(bucket, key, str(archive))
    except Exception as error:  # botocore's ClientError: the container's own download would fail the same way
        raise JobError(f"AlgorithmError: framework error: could not download {uri}: {error}") from error
    return {**hyperparameters, SUBMIT_DIRECTORY: json.dumps(str(archive))}


def run_processing(request: dict[str, Any], workdir: Path, s3: Any) -> JobOutcome:
    """Download each input to its LocalPath, run the entrypoint and arguments as written, upload each output."""
    opt_ml = workdir / "opt" / "ml"
    inputs: dict[str, Path] = {}
    for item in request.get("ProcessingInputs", []):
        local_path = _under_processing(item["S3Input"]["LocalPath"])
        inputs[local_path] = Path(map_opt_ml(local_path, opt_ml))
        download = download_manifest if item["S3Input"].get("S3DataType") == "ManifestFile" else download_prefix
        download(s3, item["S3Input"]["S3Uri"], inputs[local_path])
    outputs = {
        _under_processing(o["S3Output"]["LocalPath"]): o["S3Output"]["S3Uri"]
        for o in request.get("ProcessingOutputConfig", {}).get("Outputs", [])
    }
    spec = request["AppSpecification"]
    try:
        folders = run_processing_job(
            opt_ml,
            entrypoint=spec.get("ContainerEntrypoint") or [],
            arguments=spec.get("ContainerArguments") or [],
            inputs=inputs,
            outputs=list(outputs),
            environment=request.get("Environment"),
        )
    except StepFailed as error:
        message = opt_ml / "output" / "message"
        exit_message = message.read_text(encoding="utf-8").strip() if message.is_file() else error.message
        return JobOutcome("Failed", "AlgorithmError: See job logs for more information", exit_message)
    for local_path, uri in outputs.items():
        upload_folder(s3, folders[local_path], uri, request.get("OutputKmsKeyId"))
    return JobOutcome("Completed")


def _under_processing(local_path: str) -> str:
    if not local_path.startswith(PROCESSING_ROOT):
        raise JobError(f"ClientError: LocalPath {local_path} must be under {PROCESSING_ROOT}")
    return local_path.rstrip("/")
