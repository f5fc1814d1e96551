"""StartPipeline: EventBridge (S3 "Object Created", the schedule, or a drift/quality alarm) -> at most one pipeline
execution named by run id. The answer, logged, says why it started or did not."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from lambdas.common.env import BaseEnv, load_env
from lambdas.start_pipeline.logic import start

logger = Logger()
tracer = Tracer()


class Env(BaseEnv):
    state_machine_arn: str = Field(alias="STATE_MACHINE_ARN")
    data_bucket: str = Field(alias="DATA_BUCKET")
    data_prefix: str = Field(alias="DATA_PREFIX")
    # Set only when `[retraining] on` names alarms: then their ALARM events may start a run.
    retrain_cooldown_hours: int | None = Field(default=None, ge=1, alias="RETRAIN_COOLDOWN_HOURS")


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = load_env(Env)
    result = start(
        event,
        s3=boto3.client("s3"),
        sfn=boto3.client("stepfunctions"),
        state_machine_arn=env.state_machine_arn,
        bucket=env.data_bucket,
        prefix=env.data_prefix,
        cooldown_hours=env.retrain_cooldown_hours,
    )
    logger.info(result.reason, extra=result.model_dump(mode="json"))
    return result.model_dump(mode="json")
