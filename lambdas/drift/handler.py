"""Scheduled (EventBridge): drift of the last window of captured traffic, published as CloudWatch metrics."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.common.env import load_env
from lambdas.drift.env import DriftEnv
from lambdas.drift.logic import run_drift

logger = Logger()
NAMESPACE = "Slipstream"


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)


def emit(name: str, unit: str, value: float, dimensions: dict[str, str]) -> None:
    # One EMF document per data point: each needs its own dimension set (Feature, ModelVersion, Variant).
    with single_metric(name, MetricUnit(unit), value, namespace=NAMESPACE, default_dimensions=dimensions):
        pass


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = run_drift(load_env(DriftEnv), client, emit)
    logger.info(summary.get("reason", "drift computed"), extra=summary)
    return summary
