"""SageMaker training and processing jobs, run from their Create* requests against (moto) S3.

The container part is `slipstream.local.sagemaker` — the same script-mode emulation `slipstream run` uses;
this module adds what SageMaker does around it: download the channels/inputs from S3, check the code the
request points at, upload model.tar.gz / the processing outputs, and report Completed or Failed with the
reason SageMaker would give (`AlgorithmError: <the failure file>`).
"""

from __future__ import annotations

import fnmatch
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdas.common.s3uri import split_s3_uri
from slipstream import job_arguments
from slipstream.errors import StepFailed
from slipstream.local.sagemaker import run_processing_job, run_training_job

PROCESSING_ROOT = "/opt/ml/processing/"


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


def upload_folder(s3: Any, folder: Path, uri: str, kms_key: str | None = None) -> None:
    bucket, prefix = split_s3_uri(uri.rstrip("/") + "/")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, prefix + path.relative_to(folder).as_posix(), ExtraArgs=_sse(kms_key))


def _sse(kms_key: str | None) -> dict[str, str]:
    """The request's output KmsKeyId: SageMaker writes the outputs encrypted with it."""
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else {}


def run_training(request: dict[str, Any], workdir: Path, s3: Any) -> JobOutcome:
    """Decode the hyperparameters as the training toolkit does, run the program, upload model.tar.gz."""
    values = {k: json.loads(v) for k, v in request.get("HyperParameters", {}).items()}
    program, submit = values.get("sagemaker_program"), values.get("sagemaker_submit_directory")
    if not program or not submit:
        raise JobError("ClientError: sagemaker_program and sagemaker_submit_directory are required in script mode")
    _check_archive(s3, submit, program, workdir / "submit")
    hyperparameters = job_arguments.toolkit_decoded(request.get("HyperParameters", {}))
    channels = {}
    for channel in request.get("InputDataConfig", []):
        name = channel["ChannelName"]
        channels[name] = workdir / "channels" / name
        download_prefix(s3, channel["DataSource"]["S3DataSource"]["S3Uri"], channels[name])
    opt_ml = workdir / "opt" / "ml"
    try:
        model_dir = run_training_job(opt_ml, channels=channels, hyperparameters=hyperparameters, program=program)
    except StepFailed as error:
        failure = opt_ml / "output" / "failure"
        reason = failure.read_text(encoding="utf-8").strip() if failure.is_file() else error.message
        return JobOutcome("Failed", failure_reason=f"AlgorithmError: {reason}")
    archive = workdir / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(model_dir.rglob("*")):
            tar.add(path, arcname=path.relative_to(model_dir).as_posix(), recursive=False)
    output = request["OutputDataConfig"]["S3OutputPath"].rstrip("/")
    bucket, key = split_s3_uri(f"{output}/{request['TrainingJobName']}/output/model.tar.gz")
    s3.upload_file(str(archive), bucket, key, ExtraArgs=_sse(request.get("OutputKmsKeyId")))
    return JobOutcome("Completed")


def run_processing(request: dict[str, Any], workdir: Path, s3: Any) -> JobOutcome:
    """Download each input to its LocalPath, run the entrypoint's program, upload each output."""
    inputs: dict[str, Path] = {}
    for item in request.get("ProcessingInputs", []):
        name = _under_processing(item["S3Input"]["LocalPath"])
        inputs[name] = workdir / "inputs" / name
        download_prefix(s3, item["S3Input"]["S3Uri"], inputs[name])
    outputs = {
        _under_processing(o["S3Output"]["LocalPath"]): o["S3Output"]["S3Uri"]
        for o in request.get("ProcessingOutputConfig", {}).get("Outputs", [])
    }
    spec = request["AppSpecification"]
    program = _program_of(spec.get("ContainerEntrypoint") or [], inputs)
    opt_ml = workdir / "opt" / "ml"
    arguments = list(spec.get("ContainerArguments") or [])
    try:
        folders = run_processing_job(opt_ml, program=program, inputs=inputs, outputs=outputs, arguments=arguments)
    except StepFailed as error:
        message = opt_ml / "processing" / "message"
        exit_message = message.read_text(encoding="utf-8").strip() if message.is_file() else error.message
        return JobOutcome("Failed", "AlgorithmError: See job logs for more information", exit_message)
    for name, uri in outputs.items():
        upload_folder(s3, folders[name], uri, request.get("OutputKmsKeyId"))
    return JobOutcome("Completed")


def _under_processing(local_path: str) -> str:
    if not local_path.startswith(PROCESSING_ROOT):
        raise JobError(f"ClientError: LocalPath {local_path} must be under {PROCESSING_ROOT}")
    return local_path.removeprefix(PROCESSING_ROOT).strip("/")


def _program_of(entrypoint: list[str], inputs: dict[str, Path]) -> str:
    """Our entrypoint is `cd <code> && tar -xzf <archive> && exec python3 <program>`: check what the container
    would find (the archive in the code input, the program in the archive) and return the program."""
    command = " ".join(entrypoint)
    found = re.search(r"cd (\S+) && tar -xzf (\S+) && exec python3? (\S+\.py)", command)
    if not found:
        raise JobError(f"the emulation cannot interpret the entrypoint {command!r}")
    code_dir, pattern, program = found.groups()
    pattern = pattern.removeprefix("./")  # the shell expands ./*.gz in the code folder
    folder = inputs.get(_under_processing(code_dir))
    matches = sorted(p for p in folder.iterdir() if fnmatch.fnmatch(p.name, pattern)) if folder else []
    if len(matches) != 1:
        raise JobError(f"AlgorithmError: tar: {pattern}: Cannot open: No such file or directory (in {code_dir})")
    with tarfile.open(matches[0]) as tar:
        if program not in tar.getnames():
            raise JobError(f"AlgorithmError: python3: can't open file '{code_dir}/{program}'")
    return program


def _check_archive(s3: Any, uri: str, program: str, target: Path) -> None:
    (archive,) = download_prefix(s3, uri, target)[:1]
    with tarfile.open(archive) as tar:
        if program not in tar.getnames():
            raise JobError(f"AlgorithmError: ExecuteUserScriptError: {program} is not in {uri}")
