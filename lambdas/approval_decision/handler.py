"""The approvals API (API Gateway REST, AWS_IAM authorization, proxy integration): `GET /approvals` lists what
waits, `POST /approvals/{run_id}` {decision, reason} decides it for the caller API Gateway authenticated.
Rules: logic.py."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from lambdas.approval_decision.logic import ApprovalProblem, decide, list_pending
from lambdas.common.env import BaseEnv, load_env

logger = Logger()
tracer = Tracer()
app = APIGatewayRestResolver()
PROBLEM = "application/problem+json"


class Env(BaseEnv):
    artifact_bucket: str = Field(alias="ARTIFACT_BUCKET", min_length=1)


@cache
def _clients() -> dict[str, Any]:
    return {"s3": boto3.client("s3"), "sfn": boto3.client("stepfunctions")}


@app.get("/approvals")
def pending() -> dict[str, Any]:
    return {"pending": list_pending(_clients()["s3"], load_env(Env).artifact_bucket)}


@app.post("/approvals/<run_id>")
def decision(run_id: str) -> dict[str, Any]:
    approver = app.current_event.request_context.identity.user_arn  # SigV4's caller, never the body's word
    decided = decide(run_id, app.current_event.body, approver, bucket=load_env(Env).artifact_bucket, **_clients())
    logger.info("approval decided", extra={"run_id": run_id, **decided.model_dump(mode="json")})
    return {"run_id": run_id, **decided.model_dump(mode="json")}


@app.exception_handler(ApprovalProblem)
def problem(error: ApprovalProblem) -> Response:
    body = error.problem(app.current_event.path)
    return Response(status_code=error.status, content_type=PROBLEM, body=json.dumps(body))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
