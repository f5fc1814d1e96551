"""One account with the triggers stood up (`emulated_pipeline(triggers=True)`), shared by test_batch_aws.py and
test_retrain_trigger.py: the upload trains and deploys the champion through the S3 trigger, then three batch
files go through the batch state machine, then alarms go through RetrainOnAlarm to StartPipeline. The batch
files land under `[batch] input_prefix`, not the data prefix: if they reached StartPipeline, the retrain part
would see its answers and executions. Everything is recorded; the tests assert on it."""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sklearn.datasets import load_breast_cancer

from slipstream.config import Config
from slipstream.layout import DEPLOYMENT_KEY
from slipstream.local.stepfunctions.emulation import emulated_pipeline, upload_dataset
from slipstream.local.stepfunctions.world import World
from tests.integration.batch_helpers import endpoint_answers, records
from tests.statemachine.scenarios import Pipeline

DRIFT = "breast-cancer-dev-champion-drift"
QUALITY = "breast-cancer-dev-champion-live-quality"


def run(config: Config, probe: dict, folder: Path) -> dict[str, Any]:
    with Answers.listening() as answers, emulated_pipeline(config, triggers=True) as world:
        pipeline = Pipeline(world, probe)
        first = upload_dataset(world, config)  # the S3 trigger trains and deploys the champion
        deadline = time.monotonic() + 30
        while not (runs := executions(world)):
            assert time.monotonic() < deadline, "the upload started no pipeline run"
            time.sleep(0.2)
        trained = runs[0]
        world.wait(trained["executionArn"])
        found: dict[str, Any] = {"trained": trained, "upload_answer": answers.next()}
        found["deployed"] = pipeline.capture_execution("deploy", trained["executionArn"])
        pipeline.drain()
        found["batch"] = _batch(world, config, pipeline, folder)
        found["retrain"] = _retrain(world, answers, first)
        return found


# --- batch scoring ---------------------------------------------------------------------------------------------


# The key under the input prefix of each file put; the results go to <output prefix><that key>/.
FOLDERS = {
    "clean.csv": "team a/März+Q1/scores.csv",
    "messy.csv": "team b/scores.csv",
    "no-features.csv": "no-features.csv",
}


def _batch(world: World, config: Config, pipeline: Pipeline, folder: Path) -> dict[str, Any]:
    """Three batch files (clean, messy, one the job cannot score) and a folder marker."""
    rows = load_breast_cancer(as_frame=True).frame.drop(columns="target").head(80)
    messy = rows.astype(object).copy()
    messy.iloc[3, 0], messy.iloc[10, 2] = "abc", "1e309"  # not a number; infinite
    prefix = config.batch.input_prefix
    outcome: dict[str, Any] = {"statuses": {}, "messages": {}}
    # A key that is clean.csv's plus a suffix: refused itself (not a scored type), it must not reach clean's job.
    sibling = f"{prefix}{FOLDERS['clean.csv']}.bak"
    outcome["statuses"]["sibling"] = _score(world, sibling, b"an older copy, not a file to score")
    outcome["messages"]["sibling"] = pipeline.drain()
    # S3 form-encodes keys into its events: a space, a `+` and non-ASCII letters must reach the right object;
    # the two files share a name in different folders and must not share an output folder.
    for name, frame in (("clean.csv", rows), ("messy.csv", messy), ("no-features.csv", rows.iloc[:, :3])):
        key = f"{prefix}{FOLDERS[name]}"
        outcome["statuses"][name] = _score(world, key, frame.to_csv(index=False).encode())
        outcome["messages"][name] = pipeline.drain()
    outcome["statuses"]["folder marker"] = _score(world, f"{prefix}an empty folder/", b"")
    outcome["messages"]["folder marker"] = pipeline.drain()
    outcome["executions"] = len(_batch_runs(world))  # the results written started none
    out = config.batch.output_prefix
    outcome["files"] = {
        f"{name}/{file}": _read(world, f"{out}{FOLDERS[name]}/{file}")
        for name in ("clean.csv", "messy.csv")
        for file in ("predictions.csv", "rejects.csv", "summary.json")
    }
    listing = world.client("s3").list_objects_v2(Bucket=world.data_bucket, Prefix=out)
    outcome["prefixes"] = (prefix, out)
    outcome["outputs"] = sorted(item["Key"] for item in listing.get("Contents", []))
    version, model = _champion_model(world, folder)
    outcome["version"] = version
    outcome["expected"] = endpoint_answers(model, records(rows, list(rows.columns)))
    return outcome


def _batch_runs(world: World) -> list[dict[str, Any]]:
    assert world.batch_state_machine_arn
    answer = world.client("stepfunctions").list_executions(stateMachineArn=world.batch_state_machine_arn)
    return answer["executions"]


def _score(world: World, key: str, body: bytes) -> tuple[str, str]:
    """Put a file under the input prefix; wait for the execution it starts, and its end: (status, why it failed)."""
    before = {e["executionArn"] for e in _batch_runs(world)}
    world.client("s3").put_object(Bucket=world.data_bucket, Key=key, Body=body)
    deadline = time.monotonic() + 30
    while not (started := [e for e in _batch_runs(world) if e["executionArn"] not in before]):
        assert time.monotonic() < deadline, f"no batch execution started for {key}"
        time.sleep(0.2)
    (execution,) = started
    status = world.wait(execution["executionArn"], timeout=600)
    failures = [e for e in world.history(execution["executionArn"]) if e["type"] in ("TaskFailed", "ExecutionFailed")]
    return status, json.dumps(failures, default=str)[:3000]


def _read(world: World, key: str) -> bytes:
    try:
        return world.client("s3").get_object(Bucket=world.data_bucket, Key=key)["Body"].read()
    except world.client("s3").exceptions.NoSuchKey:
        return b""


def _champion_model(world: World, folder: Path) -> tuple[str, Path]:
    """The deployed champion's version and its model folder, extracted from its package's model.tar.gz."""
    s3 = world.client("s3")
    record = json.loads(s3.get_object(Bucket=world.artifact_bucket, Key=DEPLOYMENT_KEY)["Body"].read())
    version = record["champion"]["version"]
    packages = world.client("sagemaker").list_model_packages(ModelPackageGroupName=world.model_package_group)
    arn = next(
        p["ModelPackageArn"] for p in packages["ModelPackageSummaryList"] if p["ModelPackageVersion"] == int(version)
    )
    package = world.client("sagemaker").describe_model_package(ModelPackageName=arn)
    bucket, _, key = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"][5:].partition("/")
    archive = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return version, folder


# --- retraining on alarms ------------------------------------------------------------------------------------


def _retrain(world: World, answers: Answers, first: str) -> dict[str, Any]:
    events, found = world.client("events"), {}
    events.put_events(Entries=[alarm_event(DRIFT)])  # minutes after that run: within the cooldown
    found["cooldown"] = answers.next()
    tomorrow = datetime.now(UTC) + timedelta(hours=25)
    events.put_events(Entries=[alarm_event(DRIFT, at=tomorrow)])  # cooldown over, the data unchanged
    found["unchanged"] = answers.next()
    # Alarms the config does not retrain on, and recoveries, never reach StartPipeline.
    events.put_events(Entries=[alarm_event("breast-cancer-dev-api-5xx", at=tomorrow)])
    events.put_events(Entries=[alarm_event(DRIFT, state="OK", at=tomorrow)])
    events.put_events(Entries=[alarm_event("breast-cancer-dev-challenger-drift", at=tomorrow)])
    time.sleep(2)
    found["ignored"], found["executions_after_ignored"] = list(answers.seen), len(executions(world))
    # Data the upload trigger missed (its rule without its target, as if the S3 event were lost).
    new_data = _rule(world, "aws.s3")
    events.remove_targets(Rule=new_data, Ids=[t["Id"] for t in events.list_targets_by_rule(Rule=new_data)["Targets"]])
    s3 = world.client("s3")
    body = s3.get_object(Bucket=world.data_bucket, Key=first)["Body"].read()
    newer = body.replace(b"\n", b"\r\n")  # the same rows, other bytes: another ETag, data not trained on
    s3.put_object(Bucket=world.data_bucket, Key=first.replace(".csv", "-v2.csv"), Body=newer)
    events.put_events(Entries=[alarm_event(QUALITY, at=tomorrow)])
    found["retrained"] = answers.next()
    runs = {e["name"]: e for e in executions(world)}
    found["executions"] = sorted(runs)
    if found["retrained"].get("run_id") in runs:
        world.wait(runs[found["retrained"]["run_id"]]["executionArn"])
    return found


def alarm_event(name: str, state: str = "ALARM", at: datetime | None = None) -> dict[str, Any]:
    detail = {"alarmName": name, "state": {"value": state, "reason": "Threshold Crossed"}, "previousState": {}}
    return {
        "Source": "aws.cloudwatch",
        "DetailType": "CloudWatch Alarm State Change",
        "Time": at or datetime.now(UTC),
        "Resources": [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"],
        "Detail": json.dumps(detail),
    }


def executions(world: World) -> list[dict[str, Any]]:
    return world.client("stepfunctions").list_executions(stateMachineArn=world.state_machine_arn)["executions"]


class Answers:
    """StartPipeline's answers, as the emulated Lambda runtime returns them (EventBridge invokes asynchronously
    and keeps no result, so the test listens where the runtime calls the real handler)."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    @classmethod
    @contextmanager
    def listening(cls) -> Iterator[Answers]:
        from slipstream.local.stepfunctions.moto_extensions import core

        answers, invoke = cls(), core.invoke_handler

        def listening(handler: str, *args: Any, **kwargs: Any) -> tuple[Any, bool]:
            result, errored = invoke(handler, *args, **kwargs)
            if handler == "lambdas.start_pipeline.handler.handler":
                answers.seen.append(result)
            return result, errored

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(core, "invoke_handler", listening)
            yield answers

    def next(self, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not self.seen:
            if time.monotonic() > deadline:
                raise AssertionError("StartPipeline did not answer")
            time.sleep(0.1)
        answer = self.seen.pop(0)
        assert "errorType" not in answer, answer  # the handler failed (e.g. its role may not list executions)
        return answer


def _rule(world: World, source: str) -> str:
    resources = world.synth.templates["pipeline"]["Resources"]
    return next(
        logical
        for logical, r in resources.items()
        if r["Type"] == "AWS::Events::Rule" and r["Properties"].get("EventPattern", {}).get("source") == [source]
    )
