"""The Lambda entry point as AWS calls it: environment -> contract from S3 -> resolver; no ML libraries."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from lambdas.common.env import load_env
from lambdas.predict import handler as handler_module
from lambdas.predict import wiring
from lambdas.predict.env import PredictEnv
from slipstream.config import load_config
from slipstream.local.serving.events import LocalContext, rest_event
from slipstream.local.serving.openapi import DOCUMENT, bundled_contract, openapi_document, render
from tests.import_paths import modules_loaded_by
from tests.unit.serving.conftest import CONTRACT, ROW, FakeRuntime


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    values = {
        "POWERTOOLS_SERVICE_NAME": "predict",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "CONTRACT_URI": "s3://artifacts/contract.json",
        "CHAMPION_ENDPOINT": "m-prod-champion",
        "CAPTURE_PATH": str(tmp_path / "capture.jsonl"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    load_env.cache_clear()
    handler_module.resolver.cache_clear()
    yield values
    load_env.cache_clear()
    handler_module.resolver.cache_clear()


@mock_aws
def test_handler_reads_the_contract_from_s3_and_answers_a_proxy_event(lambda_env, monkeypatch) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="contract.json", Body=json.dumps(CONTRACT).encode())
    wiring._client.cache_clear()
    runtime = FakeRuntime()
    monkeypatch.setattr(wiring, "make_client", lambda url, timeout: runtime)
    body = json.dumps({"instances": [ROW]}).encode()
    event = rest_event("POST", "/predict", [("Content-Type", "application/json")], body, "10.0.0.1")
    result = handler_module.handler(event, LocalContext())
    assert result["statusCode"] == 200, result
    assert json.loads(result["body"])["model_version"] == "7"
    assert runtime.calls[0]["EndpointName"] == "m-prod-champion"


def test_env_names_every_bad_variable(monkeypatch) -> None:
    bad = {"POWERTOOLS_SERVICE_NAME": "p", "CONTRACT_URI": "http://x", "CHALLENGER_WEIGHT": "2"}
    with pytest.raises(ValueError) as error:
        PredictEnv.model_validate(bad)
    text = str(error.value)
    assert "CONTRACT_URI" in text and "CHALLENGER_WEIGHT" in text and "CHAMPION_ENDPOINT" in text


def test_handler_import_path_holds_no_ml_libraries() -> None:
    assert modules_loaded_by("lambdas.predict.handler", ("pandas", "numpy", "sklearn", "joblib", "mlflow")) == []


def test_committed_openapi_document_is_generated_from_the_resolver(repo_root) -> None:
    config = load_config(repo_root / "slipstream.toml")
    expected = render(openapi_document(config, bundled_contract(config)))
    assert DOCUMENT.read_text(encoding="utf-8") == expected, (
        "docs/openapi.json is stale: run `python -m slipstream.local.serving.openapi --write`"
    )
