"""Batch scoring on the emulated account: a file put under `[batch] input_prefix` goes through the synthesized
S3 -> EventBridge -> batch state machine path (cdk/batch/), whose processing job runs batch_score.py in the
image's Python with the champion's model.tar.gz; the results beside it are inference.py's answers row by row,
bad rows land in rejects.csv, and a job that fails is announced on the topic. One account of its own."""

from __future__ import annotations

import io
import json
import tarfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from slipstream.layout import DEPLOYMENT_KEY
from slipstream.local.stepfunctions.emulation import emulated_pipeline, upload_dataset
from slipstream.local.stepfunctions.world import World
from tests.integration.batch_helpers import endpoint_answers, records
from tests.statemachine.scenarios import Pipeline

pytestmark = [pytest.mark.xdist_group("statemachine-batch-aws"), pytest.mark.slow]  # its own account: see conftest.py


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


@pytest.fixture(scope="module")
def scored(config, probe, tmp_path_factory) -> dict[str, Any]:
    """The account after a deployment and three batch files: clean, messy, and one the job cannot score."""
    rows = load_breast_cancer(as_frame=True).frame.drop(columns="target").head(80)
    messy = rows.astype(object).copy()
    messy.iloc[3, 0], messy.iloc[10, 2] = "abc", "1e309"  # not a number; infinite
    prefix = config.batch.input_prefix
    with emulated_pipeline(config, triggers=True) as world:
        pipeline = Pipeline(world, probe)
        upload_dataset(world, config)  # the S3 trigger trains and deploys the champion
        sfn, deadline = world.client("stepfunctions"), time.monotonic() + 30
        while not (runs := sfn.list_executions(stateMachineArn=world.state_machine_arn)["executions"]):
            assert time.monotonic() < deadline, "the upload started no pipeline run"
            time.sleep(0.2)
        deployed = (
            pipeline.capture_execution("deploy", runs[0]["executionArn"])
            if world.wait(runs[0]["executionArn"])
            else None
        )
        assert deployed is not None and deployed.status == "SUCCEEDED", deployed and deployed.path
        pipeline.drain()
        outcome: dict[str, Any] = {"statuses": {}, "messages": {}}
        for name, frame in (("clean.csv", rows), ("messy.csv", messy), ("no-features.csv", rows.iloc[:, :3])):
            outcome["statuses"][name] = _score(world, f"{prefix}{name}", frame.to_csv(index=False).encode())
            outcome["messages"][name] = pipeline.drain()
        out = config.batch.output_prefix
        outcome["files"] = {
            f"{name}/{file}": _read(world, f"{out}{name}/{file}")
            for name in ("clean.csv", "messy.csv")
            for file in ("predictions.csv", "rejects.csv", "summary.json")
        }
        listing = world.client("s3").list_objects_v2(Bucket=world.data_bucket, Prefix=f"{out}no-features.csv/")
        outcome["failed_outputs"] = [item["Key"] for item in listing.get("Contents", [])]
        version, model = _champion_model(world, tmp_path_factory.mktemp("champion"))
        outcome["version"] = version
        outcome["expected"] = endpoint_answers(model, records(rows, list(rows.columns)))
    return outcome


def _frame(scored: dict[str, Any], path: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(scored["files"][path]))


def test_a_file_under_the_prefix_is_scored_as_the_endpoint_scores_it(scored) -> None:
    assert scored["statuses"]["clean.csv"][0] == "SUCCEEDED", scored["statuses"]["clean.csv"][1]
    clean, expected = _frame(scored, "clean.csv/predictions.csv"), scored["expected"]
    assert clean["row"].tolist() == list(range(1, 81))
    assert clean["prediction"].tolist() == expected["predictions"]
    for label in expected["classes"]:
        wanted = [p[label] for p in expected["probabilities"]]
        np.testing.assert_allclose(clean[f"probability_{label}"], wanted, rtol=1e-12, atol=1e-15)
    assert set(clean["model_version"].astype(str)) == {scored["version"]}
    summary = json.loads(scored["files"]["clean.csv/summary.json"])
    assert (summary["rows_read"], summary["rows_scored"], summary["rows_rejected"]) == (80, 80, 0)
    (message,) = scored["messages"]["clean.csv"]
    assert message["status"] == "scored"
    assert message["batch"]["model_version"] == scored["version"]
    assert message["batch"]["summary"]["rows_scored"] == 80


def test_bad_rows_go_to_the_rejects_file_beside_the_results(scored) -> None:
    assert scored["statuses"]["messy.csv"][0] == "SUCCEEDED", scored["statuses"]["messy.csv"][1]
    rejects = _frame(scored, "messy.csv/rejects.csv")
    assert rejects["row"].tolist() == [4, 11]  # data rows, from 1
    assert _frame(scored, "messy.csv/predictions.csv")["row"].tolist() == [r for r in range(1, 81) if r not in (4, 11)]
    (message,) = scored["messages"]["messy.csv"]
    assert message["batch"]["summary"]["rows_rejected"] == 2


def test_a_job_that_fails_is_announced_and_leaves_no_results(scored) -> None:
    assert scored["statuses"]["no-features.csv"][0] == "FAILED"
    assert scored["failed_outputs"] == []
    (message,) = scored["messages"]["no-features.csv"]
    assert message["status"] == "failed"
    assert message["file"].endswith("no-features.csv")
    assert "batch" in message  # the Slack notifier renders it as a batch run's
