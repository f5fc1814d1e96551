"""POST /predict, POST /feedback, GET /health, GET /model behind API Gateway (REST, proxy integration).

The API is built at the first invocation (cold start): its request models come from the data contract,
read from CONTRACT_URI. Logic: api.py (HTTP), service.py (routing, invoke, capture), wiring.py (env).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.common.env import load_env
from lambdas.predict.api import build_app
from lambdas.predict.env import PredictEnv
from lambdas.predict.wiring import build_service

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Slipstream")


@cache
def resolver() -> APIGatewayRestResolver:
    env = load_env(PredictEnv)
    return build_app(
        build_service(env),
        max_rows=env.max_rows,
        max_body_bytes=env.max_body_bytes,
        caller_header=env.caller_header,
        retry_after=env.retry_after_seconds,
        logger=logger,
        metrics=metrics,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolver().resolve(event, context)
