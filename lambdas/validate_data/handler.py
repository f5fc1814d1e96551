"""ValidateData task: Step Functions passes the run request; we return where the run's inputs now are."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from lambdas.common.env import ConfigEnv, load_env
from lambdas.validate_data.logic import run_validation
from slipstream.documents.run import RunRequest

logger = Logger()
tracer = Tracer()


class Env(ConfigEnv):
    artifact_bucket: str = Field(alias="ARTIFACT_BUCKET")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=RunRequest)
def handler(event: RunRequest, context: LambdaContext) -> dict[str, Any]:
    env = load_env(Env)
    logger.append_keys(run_id=event.run_id)
    output = run_validation(event, env.config(), s3=boto3.client("s3"), artifact_bucket=env.artifact_bucket)
    logger.info("data accepted", extra={"rows": output.rows, "new_contract": output.is_new_contract})
    return output.model_dump(mode="json")
