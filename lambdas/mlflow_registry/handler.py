"""MLflow step after Register / RegisterRejected (`register`) and after RecordDeployment (`champion`)."""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.common.env import ConfigEnv, load_env
from lambdas.mlflow_registry.logic import handle
from lambdas.mlflow_registry.rest import MlflowRest
from slipstream.documents.mlflow import MlflowRequest

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=MlflowRequest)
def handler(event: MlflowRequest, context: LambdaContext) -> dict[str, Any]:
    session = boto3.Session()
    rest = MlflowRest(os.environ["MLFLOW_TRACKING_URI"], credentials=session.get_credentials())
    result = handle(event, load_env(ConfigEnv).config(), rest=rest, sagemaker=session.client("sagemaker"))
    if result.status == "failed":
        logger.error("mlflow failed", extra={"run_id": event.run_id, "error": result.error})
    return result.model_dump(mode="json")
