"""SmokeTest on AWS: load the run's contract and baseline from S3, then call the shared step function through
the prediction API (the champion) or on the endpoint itself (a challenger or canary)."""

from __future__ import annotations

import json
from typing import Any

from lambdas.common.s3uri import split_s3_uri
from lambdas.smoke_test.env import SmokeEnv
from slipstream.config import Config
from slipstream.contract import Contract
from slipstream.documents.smoke import SmokeRequest, SmokeResult
from slipstream.steps.front_door import FrontDoor
from slipstream.steps.smoke_test import Post, endpoint_post, smoke_test


def _read_json(s3: Any, uri: str) -> Any:
    bucket, key = split_s3_uri(uri)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def front_door(env: SmokeEnv, config: Config, apigateway: Any) -> FrontDoor:
    """The API as a caller sees it: its URL, and the stage's API key (read with apigateway:GET on that key
    alone) or SigV4 signing with this function's role (execute-api:Invoke on POST /predict alone)."""
    api_key = None
    if env.api_key_id:
        api_key = apigateway.get_api_key(apiKey=env.api_key_id, includeValue=True)["value"]
    return FrontDoor(
        url=env.api_url,
        caller_header=config.serving.caller_header,
        api_key=api_key,
        sigv4_region=env.aws_region if env.api_auth == "iam" else None,
    )


def run_smoke_test(
    request: SmokeRequest, config: Config, env: SmokeEnv, *, s3: Any, runtime: Any, apigateway: Any
) -> SmokeResult:
    contract = Contract.model_validate(_read_json(s3, request.contract_uri))
    baseline = _read_json(s3, request.baseline_uri)
    post: Post
    if request.via == "api":
        door = front_door(env, config, apigateway)
        post, target = door.post, door.predict_url
    else:
        post, target = endpoint_post(runtime, request.endpoint_name), request.endpoint_name
    cases = config.behaviour.minimum_functionality
    return smoke_test(post, target, contract, baseline, cases, model_version=request.model_version)
