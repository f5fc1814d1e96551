"""ValidateData's logic end to end against moto S3: data in, run inputs and contract out."""

from __future__ import annotations

import hashlib
import io
import json

import boto3
import pandas as pd
from moto import mock_aws

from lambdas.validate_data.logic import run_validation
from slipstream.config import load_config
from slipstream.dataset import load_dataset
from slipstream.documents.run import RunRequest
from slipstream.layout import CONTRACT_KEY


@mock_aws
def test_first_run_writes_the_contract_and_the_run_inputs():
    config = load_config("slipstream.toml")
    s3 = boto3.client("s3")
    for bucket in ("data", "artifacts"):
        s3.create_bucket(Bucket=bucket)
    frame = load_dataset(config)
    body = frame.to_csv(index=False).encode()
    s3.put_object(Bucket="data", Key="incoming/cancer.csv", Body=body)
    request = RunRequest(run_id="data-abc", data={"bucket": "data", "key": "incoming/cancer.csv"})

    output = run_validation(request, config, s3=s3, artifact_bucket="artifacts")

    assert output.is_new_contract and output.train_uri == "s3://artifacts/runs/data-abc/data/train/"
    assert output.rows["train"] + output.rows["test"] == len(frame)
    assert output.data_sha256 == hashlib.sha256(body).hexdigest()  # lineage: the file byte for byte
    assert output.report_uri == "s3://artifacts/runs/data-abc/validation.json"
    assert output.data_label == "s3://data/incoming/cancer.csv"  # a plain key stays (odd ones: test_metadata_value)
    report = json.loads(s3.get_object(Bucket="artifacts", Key="runs/data-abc/validation.json")["Body"].read())
    assert report["source"] == "s3://data/incoming/cancer.csv"  # where the data came from, exactly
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="artifacts")["Contents"]}
    assert {CONTRACT_KEY, "runs/data-abc/data/train/train.parquet", "runs/data-abc/config/behaviour.json"} <= keys
    split = s3.get_object(Bucket="artifacts", Key="runs/data-abc/data/test/test.parquet")
    assert split["ContentType"] == "application/x-parquet"  # as the training channel declares it
    held_out = pd.read_parquet(io.BytesIO(split["Body"].read()))
    assert list(held_out.columns) == list(frame.columns) and len(held_out) == output.rows["test"]
    behaviour = json.loads(s3.get_object(Bucket="artifacts", Key="runs/data-abc/config/behaviour.json")["Body"].read())
    assert behaviour == config.behaviour.model_dump(mode="json")

    again = run_validation(request, config, s3=s3, artifact_bucket="artifacts")
    assert not again.is_new_contract
