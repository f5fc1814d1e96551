"""WaitForApproval's Lambda (invoked with `.waitForTaskToken`): store the pending approval, announce it, return.
Its return value is not the task's result: the execution resumes only with the approvals API's decision."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from lambdas.approval_request.logic import request_approval
from lambdas.common.env import BaseEnv, load_env
from slipstream.documents.approval import ApprovalRequest

logger = Logger()
tracer = Tracer()


class Env(BaseEnv):
    project: str = Field(alias="PROJECT", min_length=1)
    stage: str = Field(alias="STAGE", min_length=1)
    prefix: str = Field(alias="RESOURCE_PREFIX", min_length=1)
    artifact_bucket: str = Field(alias="ARTIFACT_BUCKET", min_length=1)
    topic_arn: str = Field(alias="TOPIC_ARN", pattern=r"^arn:aws[\w-]*:sns:")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=ApprovalRequest)
def handler(event: ApprovalRequest, context: LambdaContext) -> dict[str, Any]:
    env = load_env(Env)
    pending = request_approval(
        event,
        project=env.project,
        stage=env.stage,
        bucket=env.artifact_bucket,
        topic_arn=env.topic_arn,
        subject_prefix=env.prefix,
        s3=boto3.client("s3"),
        sns=boto3.client("sns"),
    )
    logger.info("approval requested", extra={"run_id": event.run_id, "deadline": pending.deadline.isoformat()})
    return {"run_id": event.run_id, "deadline": pending.deadline.isoformat()}
