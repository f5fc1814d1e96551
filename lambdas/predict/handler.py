"""POST /predict, POST /feedback, GET /health, GET /model behind API Gateway (REST, proxy integration).

The API is built at the first invocation (cold start): its request models come from the data contract,
read from CONTRACT_URI. Logic: api.py (HTTP), service.py (routing, invoke, capture), wiring.py (env).

What the import itself costs is the Lambda's init phase on every cold start, so it holds only what wraps
every invocation (powertools' Logger and Metrics). The rest is imported once, by the first invocation,
which needs it anyway: the API's modules (pydantic and the typed documents), and powertools' Tracer, whose
X-Ray recorder (aws_xray_sdk.core, which loads botocore) is most of the import otherwise
(docs/performance.md#cold-start-and-package).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics(namespace="Slipstream")

Invocation = Callable[[dict[str, Any], Any], dict[str, Any]]


@cache
def resolver() -> APIGatewayRestResolver:
    from lambdas.common.env import load_env
    from lambdas.predict.api import build_app
    from lambdas.predict.env import PredictEnv
    from lambdas.predict.wiring import build_service

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


@cache
def traced() -> Invocation:
    """The resolver inside powertools' Tracer (a segment per invocation, cold start annotated, errors recorded)."""
    from aws_lambda_powertools import Tracer

    tracer = Tracer()

    @tracer.capture_lambda_handler
    def resolve(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return resolver().resolve(event, context)

    return resolve


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return traced()(event, context)
