"""ValidateData as a SageMaker processing job, for data too large for the Lambda (`validation_processing_threshold_mb`).

It runs the Lambda's own `run_validation` on the image's Python, so both routes write the same run folder. The
job reads and writes through its mounts, not S3 (SageMaker moves the data, encrypts the outputs with the job's key,
and the same request runs in the emulation): `MountedS3` answers the few S3 calls `run_validation` makes from
those folders. It also writes the ValidationOutput into the run folder, which the state machine reads back into
`$.validation`. Run as `python -m lambdas.validate_data.job --run-id ... --data-bucket ... --data-key ...
--artifact-bucket ...` from the unpacked code archive (slipstream/job_commands.py VALIDATION_ENTRYPOINT).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import traceback
from pathlib import Path, PurePosixPath
from typing import Any

from slipstream import job_arguments, layout
from slipstream.errors import SlipstreamError

# A processing job's ExitMessage is the start of this file (DescribeProcessingJob; at most 1 KB is kept).
MESSAGE_FILE = "/opt/ml/output/message"
CONFIG_FILE = job_arguments.VALIDATION_CONFIG_FILE


def container_path(path: str) -> Path:
    """`/opt/ml/...` in the container, moved by SAGEMAKER_BASE_DIR (the toolkits' relocation, a local run)."""
    base = os.environ.get("SAGEMAKER_BASE_DIR")
    return Path(base) / path.removeprefix("/opt/ml/") if base and path.startswith("/opt/ml/") else Path(path)


class _ClientError(Exception):
    """Stands in for botocore's ClientError: what `run_validation` catches for a stored contract that is absent."""

    def __init__(self, code: str, key: str) -> None:
        super().__init__(f"{code}: {key}")
        self.response = {"Error": {"Code": code, "Message": key}}


class MountedS3:
    """The S3 calls of `run_validation`, answered from the job's mounted folders (job_arguments.VALIDATION_*)."""

    class exceptions:
        ClientError = _ClientError

    def __init__(self, run_id: str, data: tuple[str, str], artifact_bucket: str) -> None:
        self.artifact_bucket, mount = artifact_bucket, container_path
        self.inputs = {data: mount(job_arguments.VALIDATION_DATA) / PurePosixPath(data[1]).name}
        self.inputs[(artifact_bucket, layout.CONTRACT_KEY)] = mount(job_arguments.VALIDATION_CONTRACT) / (
            PurePosixPath(layout.CONTRACT_KEY).name
        )
        self.outputs = {
            layout.run_key(run_id, ""): mount(job_arguments.VALIDATION_RUN_OUTPUT),
            layout.CONTRACT_PREFIX: mount(job_arguments.VALIDATION_CONTRACT_OUTPUT),
        }

    def download_file(self, bucket: str, key: str, filename: str) -> None:
        source = self.inputs.get((bucket, key))
        if source is None:
            raise RuntimeError(f"the validation job has no input for s3://{bucket}/{key}")
        if not source.is_file():
            raise _ClientError("404", key)
        shutil.copyfile(source, filename)

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: Any) -> None:
        self._output(Bucket, Key).write_bytes(Body)

    def upload_file(self, filename: str, bucket: str, key: str, **_: Any) -> None:
        shutil.copyfile(filename, self._output(bucket, key))

    def _output(self, bucket: str, key: str) -> Path:
        for prefix, folder in self.outputs.items():
            if bucket == self.artifact_bucket and key.startswith(prefix):
                target = folder / key[len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                return target
        raise RuntimeError(f"the validation job has no output for s3://{bucket}/{key}")


def validate(args: argparse.Namespace, code_dir: Path) -> None:
    from lambdas.validate_data.logic import run_validation
    from slipstream.config import parse_config
    from slipstream.documents.run import RunRequest

    request = RunRequest.model_validate(
        {"run_id": args.run_id, "data": {"bucket": args.data_bucket, "key": args.data_key}}
    )
    raw = json.loads((code_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    config = parse_config(raw, base_dir=code_dir, source=CONFIG_FILE)
    s3 = MountedS3(request.run_id, (args.data_bucket, args.data_key), args.artifact_bucket)
    output = run_validation(request, config, s3=s3, artifact_bucket=args.artifact_bucket)
    s3.put_object(
        Bucket=args.artifact_bucket,
        Key=layout.run_key(request.run_id, layout.VALIDATION_OUTPUT),
        Body=output.model_dump_json().encode("utf-8"),
    )
    print(f"data accepted: {output.rows} (new contract: {output.is_new_contract})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("run-id", "data-bucket", "data-key", "artifact-bucket"):
        parser.add_argument(f"--{name}", required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        validate(args, Path(__file__).resolve().parents[2])
    except Exception as error:  # DataError, ContractViolation or a bug: the job fails with the reason as ExitMessage
        if not isinstance(error, SlipstreamError):  # the user's data is not our bug: no traceback for it
            traceback.print_exc()
        message = f"{type(error).__name__}: {error}"
        print(message, file=sys.stderr)
        message_file = container_path(MESSAGE_FILE)
        message_file.parent.mkdir(parents=True, exist_ok=True)
        message_file.write_text(message[:1024], encoding="utf-8")
        sys.exit(1)


if __name__ == "__main__":
    main()
