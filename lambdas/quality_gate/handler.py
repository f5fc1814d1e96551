"""QualityGate task: returns the decision; the state machine's Choice state branches on `passed`."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.common.env import ConfigEnv, load_env
from lambdas.quality_gate.logic import judge
from slipstream.documents.gate import GateRequest

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=GateRequest)
def handler(event: GateRequest, context: LambdaContext) -> dict[str, Any]:
    sagemaker = boto3.client("sagemaker") if event.card.tuning_job else None
    decision = judge(event, load_env(ConfigEnv).config(), s3=boto3.client("s3"), sagemaker=sagemaker)
    logger.info("quality gate", extra={"run_id": event.run_id, **decision.model_dump(mode="json")})
    return decision.model_dump(mode="json")
