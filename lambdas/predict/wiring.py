"""Builds the service from the typed environment: the one place that picks AWS or file sinks by variable."""

from __future__ import annotations

from functools import cache
from typing import Any

from lambdas.predict.capture import BackgroundCapture
from lambdas.predict.documents import CachedDocument, read_json
from lambdas.predict.env import PredictEnv
from lambdas.predict.issued import DynamoDbIssued, IssuedRequests, SqliteIssued
from lambdas.predict.routing import CHALLENGER, CHAMPION
from lambdas.predict.runtime import invoke, make_client
from lambdas.predict.schema import ServingContract
from lambdas.predict.service import PredictionService
from lambdas.predict.shadow import ShadowMirror
from lambdas.predict.sinks import DynamoDbSink, EverySink, FirehoseSink, JsonLinesSink, Sink
from slipstream.documents.deployment import DeploymentRecord


@cache
def _client(service: str) -> Any:
    import boto3

    return boto3.client(service)


def build_service(env: PredictEnv) -> PredictionService:
    s3 = lambda: _client("s3")  # noqa: E731 - only created when a document really lives in S3
    contract = ServingContract.model_validate(read_json(env.contract_uri, s3))
    runtime = cache(lambda: make_client(env.sagemaker_runtime_endpoint_url, env.invoke_timeout_seconds))
    capture = _capture(env)
    return PredictionService(
        contract=contract,
        runtime=runtime,
        endpoints={CHAMPION: env.champion_endpoint, CHALLENGER: env.challenger_endpoint},
        challenger_weight=env.challenger_weight,
        deployment=CachedDocument(env.deployment_uri, env.deployment_ttl_seconds, s3, DeploymentRecord.model_validate),
        capture=capture,
        feedback=_feedback(env),
        shadow=_shadow(env, capture),
        issued=_issued(env),
    )


def _issued(env: PredictEnv) -> IssuedRequests | None:
    if env.issued_table:
        return DynamoDbIssued(_client("dynamodb"), env.issued_table, env.issued_retention_days)
    if env.issued_path:
        return SqliteIssued(env.issued_path, env.issued_retention_days)
    return None


def _shadow(env: PredictEnv, capture: BackgroundCapture | None) -> ShadowMirror | None:
    if env.shadow_share <= 0 or not env.challenger_endpoint:
        return None
    # Its own client: the shorter timeout, and a slow challenger never holds the champion's connections.
    client = cache(lambda: make_client(env.sagemaker_runtime_endpoint_url, env.shadow_timeout_seconds))
    return ShadowMirror(lambda endpoint, instances: invoke(client(), endpoint, instances), env.shadow_share, capture)


def _capture(env: PredictEnv) -> BackgroundCapture | None:
    sink: Sink | None = None
    if env.capture_stream:
        sink = FirehoseSink(_client("firehose"), env.capture_stream)
    elif env.capture_path:
        sink = _jsonl(env, env.capture_path)
    return BackgroundCapture(sink) if sink is not None else None


def _feedback(env: PredictEnv) -> Sink | None:
    if env.feedback_table:
        table = DynamoDbSink(_client("dynamodb"), env.feedback_table)
        if env.feedback_stream:
            return EverySink(table, FirehoseSink(_client("firehose"), env.feedback_stream))
        return table
    if env.feedback_path:
        return _jsonl(env, env.feedback_path)
    return None


def _jsonl(env: PredictEnv, path: str) -> JsonLinesSink:
    return JsonLinesSink(path, max_bytes=env.jsonl_rotate_bytes, retention_days=env.jsonl_retention_days)
