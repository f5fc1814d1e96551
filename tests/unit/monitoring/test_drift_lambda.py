"""The drift Lambda end to end on moto: capture written by the predict Lambda's own Firehose sink (moto
delivers it to S3), feedback by its DynamoDB sink; metrics read back from the EMF documents it prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pandas as pd
import pytest
from moto import mock_aws

from lambdas.common.env import load_env
from lambdas.drift import handler as drift
from lambdas.predict.service import capture_rows
from lambdas.predict.sinks import DynamoDbSink, FirehoseSink
from slipstream.baseline import baseline_statistics
from slipstream.config import parse_config
from slipstream.contract import build_contract
from slipstream.local.strict.record_conversion import convert
from slipstream.warehouse.schema import capture_columns, captures_table
from tests.aws_roles import firehose_role_for_bucket
from tests.deployment_records import record, variant

CONFIG = {"name": "churn", "data": {"source": "x.csv", "target": "y", "task": "classification"}}
CONFIG["monitoring"] = {"min_samples": 100, "min_feedback": 20}


def training_frame(rows: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "spend": rng.normal(50, 10, rows),
            "plan": rng.choice(["basic", "pro"], rows, p=[0.7, 0.3]),
            "y": rng.choice(["no", "yes"], rows, p=[0.8, 0.2]),
        }
    )


def live_rows(rows: int, shift: float, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    spend, plan = rng.normal(50 + shift, 10, rows), rng.choice(["basic", "pro"], rows, p=[0.7, 0.3])
    return [{"spend": float(s), "plan": str(p)} for s, p in zip(spend, plan, strict=True)]


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    config = parse_config(CONFIG, base_dir=Path("."))
    frame = training_frame()
    baseline = baseline_statistics(frame, build_contract(frame, config))
    with mock_aws():
        s3 = boto3.client("s3")
        for bucket in ("capture", "artifacts"):
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket="artifacts", Key="runs/r3/baseline.json", Body=json.dumps(baseline))
        deployment = record(variant("3", run_id="r3"))  # no baseline_uri: the run's own baseline
        s3.put_object(Bucket="artifacts", Key="serving/deployment.json", Body=deployment.to_json())
        role = firehose_role_for_bucket("capture")
        boto3.client("firehose").create_delivery_stream(
            DeliveryStreamName="capture",
            ExtendedS3DestinationConfiguration={"RoleARN": role, "BucketARN": "arn:aws:s3:::capture", "Prefix": "c/"},
        )
        boto3.client("dynamodb").create_table(
            TableName="feedback",
            KeySchema=[
                {"AttributeName": "request_id", "KeyType": "HASH"},
                {"AttributeName": "row", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "request_id", "AttributeType": "S"},
                {"AttributeName": "row", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        env = {
            "POWERTOOLS_SERVICE_NAME": "drift",
            "SLIPSTREAM_CONFIG": config.model_dump_json(),
            "CAPTURE_BUCKET": "capture",
            "CAPTURE_PREFIX": "c/",
            "DEPLOYMENT_URI": "s3://artifacts/serving/deployment.json",
            "ARTIFACT_BUCKET": "artifacts",
            "FEEDBACK_TABLE": "feedback",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        load_env.cache_clear()
        drift.client.cache_clear()
        yield {"firehose": FirehoseSink(drift.client("firehose"), "capture")}
        load_env.cache_clear()
        drift.client.cache_clear()


def send(sink: FirehoseSink, rows: list[dict[str, Any]], predictions: list[str] | None = None, batch: int = 50) -> None:
    """`predictions`: one per row (default: "no" for every row, which is itself a drift from 80/20)."""
    answers = predictions or ["no"] * len(rows)
    records = []
    for start in range(0, len(rows), batch):
        instances = rows[start : start + batch]
        body = {"request_id": f"req-{start}", "variant": "champion", "model_version": "3", "predictions": []}
        body["predictions"] = answers[start : start + batch]
        records += capture_rows(body, "churn-champion", 12.5, instances, capture_columns(list(instances[0])))
    sink.put(records)


def send_parquet(rows: list[dict[str, Any]], predictions: list[str] | None = None) -> None:
    """As the stack's capture stream delivers them: the same rows converted to Parquet by the captures table
    (the emulated record-format conversion), one object under the capture prefix. `predictions` as in `send`."""
    answers = predictions or ["no"] * len(rows)
    body = {"request_id": "req-pq", "variant": "champion", "model_version": "3", "predictions": answers}
    records = capture_rows(body, "churn-champion", 12.5, rows, capture_columns(list(rows[0])))
    table = captures_table("classification", [("spend", "numeric"), ("plan", "categorical")])
    columns = [{"Name": c.name, "Type": c.type} for c in table.columns]
    lines = "".join(json.dumps(r) + "\n" for r in records).encode()
    converted = convert([lines], columns, ["yyyy-MM-dd'T'HH:mm:ss.SSSZZ"])
    assert converted.failed == [] and converted.parquet is not None
    boto3.client("s3").put_object(Bucket="capture", Key="c/2026/12/01/13/capture-1.parquet", Body=converted.parquet)


def emitted(out: str) -> list[dict[str, Any]]:
    """(name, value, dimensions) of every EMF document printed."""
    points = []
    for line in out.splitlines():
        document = json.loads(line) if line.startswith("{") else {}
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            dims = {d: document[d] for d in directive["Dimensions"][0]}
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                points.append({"name": metric["Name"], "value": value[0] if isinstance(value, list) else value, **dims})
    return points


def test_shifted_feature_is_published_as_drift_per_version_and_per_variant(deployed, lambda_context, capsys) -> None:
    send(deployed["firehose"], live_rows(400, shift=15, seed=1))
    DynamoDbSink(drift.client("dynamodb"), "feedback").put(
        [{"request_id": "req-0", "row": i, "ground_truth": "no" if i % 4 else "yes"} for i in range(40)]
    )
    summary = drift.handler({"source": "aws.events"}, lambda_context)
    assert summary["rows"] == 400 and summary["drifted"] == {"3": ["spend", "prediction"]}
    tests = {row["name"]: row for row in summary["tests"]["3"]}
    assert list(tests) == ["prediction", "spend", "plan"]  # the prediction first, then features by effect size
    assert tests["spend"]["status"] == "drift" and tests["spend"]["test"] == "chi-square (two-sample)"
    assert tests["spend"]["p_adjusted"] < 0.05 and tests["plan"]["status"] == "ok" and tests["plan"]["dof"] == 1
    assert summary["settings"] == {"drift_alpha": 0.05, "drift_min_psi": 0.2, "min_samples": 100}
    points = emitted(capsys.readouterr().out)
    by = {(p["name"], p.get("Feature") or p.get("Variant") or p.get("ModelVersion")): p for p in points}
    assert by[("FeaturePsi", "spend")]["value"] > 0.2 and by[("FeaturePsi", "plan")]["value"] < 0.1
    assert by[("MaxFeaturePsi", "champion")]["Model"] == "churn"
    assert by[("MaxFeaturePsi", "3")]["value"] == by[("FeaturePsi", "spend")]["value"]
    assert by[("DriftedFeatures", "champion")]["value"] == 1 and by[("DriftedFeatures", "3")]["value"] == 1
    assert by[("PredictionDrifted", "champion")]["value"] == 1 and by[("PredictionDrifted", "3")]["value"] == 1
    assert by[("PredictionPsi", "champion")]["value"] > 0.2
    assert by[("LiveAccuracy", "champion")]["value"] == pytest.approx(0.75)
    assert by[("CapturedRows", "3")]["value"] == 400


def test_healthy_traffic_publishes_zero_drifted_features_and_no_prediction_drift(deployed, lambda_context, capsys):
    answers = list(np.random.default_rng(4).choice(["no", "yes"], 400, p=[0.8, 0.2]))
    send(deployed["firehose"], live_rows(400, shift=0, seed=4), predictions=answers)
    summary = drift.handler({"source": "aws.events"}, lambda_context)
    assert summary["drifted"] == {} and {row["status"] for row in summary["tests"]["3"]} == {"ok"}
    by = {(p["name"], p.get("Variant") or p.get("ModelVersion")): p["value"] for p in emitted(capsys.readouterr().out)}
    assert by[("DriftedFeatures", "champion")] == 0 and by[("PredictionDrifted", "champion")] == 0


def test_parquet_captures_are_read_as_the_json_ones(deployed, lambda_context, capsys) -> None:
    answers = list(np.random.default_rng(1).choice(["no", "yes"], 400, p=[0.8, 0.2]))  # the training label mix
    send_parquet(live_rows(400, shift=15, seed=1), predictions=answers)
    truth = ["no" if i % 4 else "yes" for i in range(40)]
    DynamoDbSink(drift.client("dynamodb"), "feedback").put(
        [{"request_id": "req-pq", "row": i, "ground_truth": answer} for i, answer in enumerate(truth)]
    )
    summary = drift.handler({"source": "aws.events"}, lambda_context)
    assert summary["rows"] == 400 and summary["drifted"] == {"3": ["spend"]}
    by = {(p["name"], p.get("Feature") or p.get("Variant")): p for p in emitted(capsys.readouterr().out)}
    assert by[("FeaturePsi", "spend")]["value"] > 0.2 and by[("FeaturePsi", "plan")]["value"] < 0.1
    accuracy = float(np.mean([answers[i] == t for i, t in enumerate(truth)]))
    assert by[("LiveAccuracy", "champion")]["value"] == pytest.approx(accuracy)


def test_too_little_traffic_publishes_row_counts_but_no_psi(deployed, lambda_context, capsys) -> None:
    send(deployed["firehose"], live_rows(60, shift=15, seed=2))
    summary = drift.handler({"source": "aws.events"}, lambda_context)
    assert summary["drifted"] == {}
    # Quality still reports how many rows have ground truth (none); no PSI is published, so nothing alarms.
    assert [p["name"] for p in emitted(capsys.readouterr().out)] == ["CapturedRows", "LabelledRows"]


def test_no_capture_yet_publishes_nothing_and_does_not_fail(deployed, lambda_context) -> None:
    summary = drift.handler({"source": "aws.events"}, lambda_context)
    assert (summary["rows"], summary["data_points"]) == (0, 0)


def test_before_the_first_deployment_it_reports_nothing_deployed_and_publishes_nothing(
    deployed, lambda_context, capsys, caplog
) -> None:
    boto3.client("s3").delete_object(Bucket="artifacts", Key="serving/deployment.json")
    send(deployed["firehose"], live_rows(400, shift=15, seed=3))  # stray capture must not be read without a record
    summary = drift.handler({"source": "aws.events"}, lambda_context)
    assert summary["deployed"] is False and summary["data_points"] == 0 and summary["objects"] == 0
    assert summary["reason"] == "nothing deployed yet (no s3://artifacts/serving/deployment.json)"
    assert emitted(capsys.readouterr().out) == []
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("INFO", summary["reason"])]


def test_a_record_it_may_not_read_is_still_an_error(deployed, lambda_context, monkeypatch) -> None:
    monkeypatch.setenv("DEPLOYMENT_URI", "s3://no-such-bucket/serving/deployment.json")
    load_env.cache_clear()
    with pytest.raises(boto3.client("s3").exceptions.NoSuchBucket):
        drift.handler({"source": "aws.events"}, lambda_context)
