"""SmokeTest task: returns {passed, problems}; the state machine rolls back when `passed` is false."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.common.env import load_env
from lambdas.smoke_test.env import SmokeEnv
from lambdas.smoke_test.logic import run_smoke_test
from slipstream.documents.smoke import SmokeRequest

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=SmokeRequest)
def handler(event: SmokeRequest, context: LambdaContext) -> dict[str, Any]:
    env = load_env(SmokeEnv)
    clients = {name: boto3.client(service) for name, service in CLIENTS.items()}
    result = run_smoke_test(event, env.config(), env, **clients)
    logger.info("smoke test", extra={"run_id": event.run_id, **result.model_dump(mode="json")})
    return result.model_dump(mode="json")


CLIENTS = {"s3": "s3", "runtime": "sagemaker-runtime", "apigateway": "apigateway"}
