"""RecordDeployment task: write the deployment record for the model that just passed its smoke test."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from lambdas.common.env import ConfigEnv, load_env
from lambdas.record_deployment.logic import record_deployment
from slipstream.documents.record import RecordRequest

logger = Logger()
tracer = Tracer()


class Env(ConfigEnv):
    deployment_uri: str = Field(alias="DEPLOYMENT_URI", pattern=r"^s3://")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=RecordRequest)
def handler(event: RecordRequest, context: LambdaContext) -> dict[str, Any]:
    env = load_env(Env)
    clients = {"s3": boto3.client("s3"), "sagemaker": boto3.client("sagemaker")}
    output = record_deployment(event, env.config(), deployment_uri=env.deployment_uri, **clients)
    logger.info("deployment recorded", extra={"run_id": event.run_id, **output.model_dump(mode="json")})
    return output.model_dump(mode="json")
