"""RecordDeployment task: write the deployment record for the model that just passed its smoke test; with
`gate.promote = "challenger"`, also CheckExperiment (is a challenger already being tested?)."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from lambdas.common.env import ConfigEnv, load_env
from lambdas.record_deployment.experiment import check_experiment
from lambdas.record_deployment.logic import record_deployment
from slipstream.documents.experiment import ExperimentCheckRequest
from slipstream.documents.record import RecordRequest

logger = Logger()
tracer = Tracer()


class Env(ConfigEnv):
    deployment_uri: str = Field(alias="DEPLOYMENT_URI", pattern=r"^s3://")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=RecordRequest | ExperimentCheckRequest)  # a union: powertools parses with a TypeAdapter
def handler(event: RecordRequest | ExperimentCheckRequest, context: LambdaContext) -> dict[str, Any]:
    env = load_env(Env)
    if isinstance(event, ExperimentCheckRequest):
        slot = check_experiment(event, s3=boto3.client("s3"), deployment_uri=env.deployment_uri)
        logger.info(slot.message, extra={"run_id": event.run_id, **slot.model_dump(mode="json")})
        return slot.model_dump(mode="json")
    clients = {"s3": boto3.client("s3"), "sagemaker": boto3.client("sagemaker")}
    output = record_deployment(event, env.config(), deployment_uri=env.deployment_uri, **clients)
    logger.info("deployment recorded", extra={"run_id": event.run_id, **output.model_dump(mode="json")})
    return output.model_dump(mode="json")
