"""Run the deployed pipeline once and wait for it: what the deploy workflow does after `cdk deploy`.

`python -m slipstream.cli.cloud_run --stage dev` uploads the config's dataset under the stage's `data_prefix` in
the data bucket (`incoming/` unless `[stages.<stage>] data_prefix` says otherwise; the S3 trigger watches the
same prefix and starts an execution named after the object's ETag), then follows that
execution to the end. The execution includes Deploy and SmokeTest, so success means the endpoint answers.
Exit codes: 0 succeeded, 1 the execution failed or timed out, 2 bad arguments or stacks not found.

Data already trained on is not trained again (the trigger's run id is the ETag's, and that execution exists).
`--force` retrains on it deliberately: when the data's run is older than this upload, it starts its own run,
named `force-<minute>-<etag>`, and follows that (the caller needs states:StartExecution on the state machine).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slipstream.config import Config, load_config
from slipstream.documents.run import DataLocation, RunRequest
from slipstream.errors import SlipstreamError
from slipstream.steps.run_ids import run_id_for_forced_retrain, run_id_for_new_data

FINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def export_value(cfn: Any, stack: str, export_name: str) -> str:
    """An output of a deployed stack, found by its export name (or its key for plain outputs)."""
    try:
        outputs = cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    except cfn.exceptions.ClientError as error:
        raise SlipstreamError(f"stack {stack} not found: deploy it first ({error})") from None
    for output in outputs:
        if export_name in (output.get("ExportName"), output.get("OutputKey")):
            return str(output["OutputValue"])
    raise SlipstreamError(f"stack {stack} has no output {export_name!r}")


def upload_dataset(config: Config, s3: Any, bucket: str, *, stage: str) -> tuple[str, str]:
    """Upload the dataset as CSV under the stage's data prefix (the one its S3 trigger watches); returns
    (key, ETag). The same bytes give the same ETag."""
    from slipstream import dataset

    frame = dataset.load_dataset(config)
    body = frame.to_csv(index=False).encode()
    key = f"{config.stage(stage).data_prefix}{config.name}-{dataset.data_sha256(config)[:16]}.csv"
    etag = s3.put_object(Bucket=bucket, Key=key, Body=io.BytesIO(body))["ETag"]
    return key, etag


def wait_for(
    sfn: Any,
    state_machine_arn: str,
    name: str,
    *,
    timeout_s: float,
    poll_s: float = 15.0,
    say: Callable[[str], None] = print,
) -> str:
    """Follow the named execution until it ends; returns its final status (TIMED_OUT if we gave up)."""
    arn = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
    deadline, last = time.monotonic() + timeout_s, ""
    while time.monotonic() < deadline:
        try:
            status = sfn.describe_execution(executionArn=arn)["status"]
        except sfn.exceptions.ExecutionDoesNotExist:
            status = "WAITING_FOR_TRIGGER"  # the S3 event has not started it yet
        if status != last:
            say(f"{name}: {status}")
            last = status
        if status in FINAL:
            return str(status)
        time.sleep(poll_s)
    return "TIMED_OUT"


def run_to_follow(sfn: Any, state_machine_arn: str, data: DataLocation, etag: str, *, uploaded: datetime) -> str:
    """With --force: the trigger's run when this upload started it (new data), else a forced run on the data."""
    name = run_id_for_new_data(etag)
    arn = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
    try:
        previous = sfn.describe_execution(executionArn=arn)["startDate"]
    except sfn.exceptions.ExecutionDoesNotExist:
        return name  # new data (or its run is older than Step Functions keeps): the trigger starts it
    if previous >= uploaded:
        return name  # the trigger already started it for this upload
    forced = RunRequest(run_id=run_id_for_forced_retrain(uploaded, etag), data=data)
    sfn.start_execution(
        stateMachineArn=state_machine_arn, name=forced.run_id, input=json.dumps(forced.model_dump(mode="json"))
    )
    return forced.run_id


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", required=True, choices=["dev", "staging", "prod"])
    parser.add_argument("--config", default="slipstream.toml")
    parser.add_argument("--timeout-minutes", type=float, default=90)
    parser.add_argument("--force", action="store_true", help="retrain even when this data was trained on before")
    args = parser.parse_args(argv)
    uploaded = datetime.now(UTC)
    try:
        config = load_config(args.config)
        prefix = f"{config.name}-{args.stage}"
        cfn, s3, sfn = boto3.client("cloudformation"), boto3.client("s3"), boto3.client("stepfunctions")
        bucket = export_value(cfn, f"{prefix}-storage", f"{prefix}-storage-data-bucket-arn").split(":::")[-1]
        state_machine = export_value(cfn, f"{prefix}-pipeline", "StateMachineArn")
        key, etag = upload_dataset(config, s3, bucket, stage=args.stage)
    except SlipstreamError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"uploaded s3://{bucket}/{key}")
    name = run_id_for_new_data(etag)
    if args.force:
        name = run_to_follow(sfn, state_machine, DataLocation(bucket=bucket, key=key), etag, uploaded=uploaded)
    status = wait_for(sfn, state_machine, name, timeout_s=args.timeout_minutes * 60)
    return 0 if status == "SUCCEEDED" else 1


if __name__ == "__main__":
    sys.exit(main())
