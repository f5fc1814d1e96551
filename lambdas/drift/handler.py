"""Scheduled (EventBridge): drift of the last window of captured traffic, published as CloudWatch metrics."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.common.emf import client, emit
from lambdas.common.env import load_env
from lambdas.drift.env import DriftEnv
from lambdas.drift.logic import run_drift

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = run_drift(load_env(DriftEnv), client, emit)
    logger.info(summary.get("reason", "drift computed"), extra=summary)
    return summary
