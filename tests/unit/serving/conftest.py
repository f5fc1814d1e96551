"""Fixtures for the predict Lambda's unit tests: a small contract, API Gateway events, a scripted runtime."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools import Logger, Metrics

from lambdas.predict.api import build_app
from lambdas.predict.documents import CachedDocument
from lambdas.predict.schema import ServingContract
from lambdas.predict.service import PredictionService
from slipstream.documents.deployment import DeploymentRecord
from slipstream.local.serving.events import rest_event

CONTRACT = {
    "version": 1,
    "target": "churned",
    "task": "classification",
    "features": [
        {"name": "monthly spend", "kind": "numeric", "dtype": "float64", "min": 0.0, "max": 300.0, "null_rate": 0.0},
        {"name": "tenure", "kind": "numeric", "dtype": "int64", "min": 0.0, "max": 72.0, "null_rate": 0.1},
        {"name": "plan", "kind": "categorical", "dtype": "object", "null_rate": 0.0, "categories": ["basic", "pro"]},
    ],
    "labels": ["no", "yes"],
    "row_count": 100,
    "duplicate_rate": 0.0,
    "created_at": "2026-01-01T00:00:00Z",
}
ROW = {"monthly spend": 42.5, "tenure": 12, "plan": "pro"}
MAX_ROWS, MAX_BODY = 5, 4_000


class FakeRuntime:
    """Stands in for the sagemaker-runtime client: answers like inference.py, or raises what it is told."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error: Exception | None = None
        self.version: str | None = "7"

    def invoke_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        rows = json.loads(kwargs["Body"])["instances"]
        answer: dict[str, Any] = {
            "predictions": ["yes"] * len(rows),
            "classes": ["no", "yes"],
            "probabilities": [{"no": 0.25, "yes": 0.75}] * len(rows),
        }
        if self.version:
            answer["model_version"] = self.version
        return {"Body": io.BytesIO(json.dumps(answer).encode())}


@pytest.fixture
def contract() -> ServingContract:
    return ServingContract.model_validate(CONTRACT)


@pytest.fixture
def runtime() -> FakeRuntime:
    return FakeRuntime()


@pytest.fixture
def service(contract: ServingContract, runtime: FakeRuntime) -> PredictionService:
    return PredictionService(
        contract=contract,
        runtime=lambda: runtime,
        endpoints={"champion": "m-champion", "challenger": None},
        challenger_weight=0.0,
        deployment=CachedDocument(None, 60, lambda: None, DeploymentRecord.model_validate),
    )


Call = Callable[..., tuple[int, dict[str, str], Any]]


def make_call(service: PredictionService, max_body_bytes: int = MAX_BODY) -> Call:
    """call(method, path, body, content_type=...) -> (status, headers, parsed JSON body)."""
    app = build_app(
        service,
        max_rows=MAX_ROWS,
        max_body_bytes=max_body_bytes,
        caller_header="X-Caller-Id",
        retry_after=7,
        logger=Logger(service="test"),
        metrics=Metrics(namespace="Test", service="test"),
    )

    def _call(method: str, path: str, body: Any = None, content_type: str = "application/json", **headers: str):
        raw = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        raw = raw.encode() if isinstance(raw, str) else (raw or b"")
        event = rest_event(method, path, [("Content-Type", content_type), *headers.items()], raw, "127.0.0.1")
        result = app.resolve(event, None)
        headers_out = {**(result.get("headers") or {})}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers_out[name] = values[-1]
        return result["statusCode"], headers_out, json.loads(result["body"])

    return _call


@pytest.fixture
def call(service: PredictionService) -> Call:
    return make_call(service)
