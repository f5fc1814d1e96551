"""CanaryRecord task: rewrite the deployment record after the canary's bake (promoted or rolled back)."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from lambdas.canary_record.logic import conclude_canary
from lambdas.common.env import BaseEnv, load_env
from slipstream.documents.canary import CanaryRecordRequest

logger = Logger()
tracer = Tracer()


class Env(BaseEnv):
    deployment_uri: str = Field(alias="DEPLOYMENT_URI", pattern=r"^s3://")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=CanaryRecordRequest)
def handler(event: CanaryRecordRequest, context: LambdaContext) -> dict[str, Any]:
    output = conclude_canary(event, s3=boto3.client("s3"), deployment_uri=load_env(Env).deployment_uri)
    logger.info("canary concluded", extra={"run_id": event.run_id, "outcome": event.outcome, "reason": event.reason})
    return output.model_dump(mode="json")
