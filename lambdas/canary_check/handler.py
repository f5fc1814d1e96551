"""CanaryCheck task: returns {action: continue | promote | roll_back, reason, ...}; the state machine acts on it."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.canary_check.logic import check_canary
from slipstream.documents.canary import CanaryCheckRequest

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=CanaryCheckRequest)
def handler(event: CanaryCheckRequest, context: LambdaContext) -> dict[str, Any]:
    result = check_canary(event, cloudwatch=boto3.client("cloudwatch"))
    logger.info("canary check", extra=result.model_dump(mode="json"))
    return result.model_dump(mode="json")
