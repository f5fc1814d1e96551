"""SageMaker Runtime InvokeEndpoint: one lazily created client, and every failure mapped to a domain error."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from lambdas.predict.errors import EndpointUnavailable, ModelFailed

JSON = "application/json"
# Codes worth a retry by the caller: throttled, capacity or a serverless endpoint still warming up.
RETRYABLE = {
    "ThrottlingException",
    "ServiceUnavailable",
    "ModelNotReadyException",
    "InternalDependencyException",
    "InternalFailure",
}


def make_client(endpoint_url: str | None, timeout: float) -> Any:
    """The one sagemaker-runtime client of this process. `endpoint_url` overrides AWS's endpoint (local serve)."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=2,
        read_timeout=timeout,
        # One retry for transient faults; throttling beyond that is the caller's 503 + Retry-After.
        retries={"max_attempts": 2, "mode": "standard"},
        tcp_keepalive=True,
    )
    return boto3.client("sagemaker-runtime", endpoint_url=endpoint_url, config=config)


def invoke(client: Any, endpoint: str, instances: list[dict[str, Any]]) -> dict[str, Any]:
    """The endpoint's JSON answer for `instances` (inference.py's output)."""
    body = json.dumps({"instances": instances}, allow_nan=False)
    try:
        response = client.invoke_endpoint(EndpointName=endpoint, ContentType=JSON, Accept=JSON, Body=body)
        payload = json.loads(response["Body"].read())
    except ClientError as error:
        raise _from_client_error(error, endpoint) from None
    except (ConnectionError, HTTPClientError) as error:
        raise EndpointUnavailable(f"endpoint {endpoint} is unreachable ({type(error).__name__})") from None
    except (BotoCoreError, ValueError) as error:
        raise ModelFailed(f"endpoint {endpoint} gave no usable answer ({type(error).__name__})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("predictions"), list):
        raise ModelFailed(f"endpoint {endpoint} answered without a 'predictions' list")
    if len(payload["predictions"]) != len(instances):
        raise ModelFailed(
            f"endpoint {endpoint} answered {len(payload['predictions'])} predictions for {len(instances)} rows"
        )
    return payload


def _from_client_error(error: ClientError, endpoint: str) -> Exception:
    info = error.response.get("Error", {})
    code, message = str(info.get("Code", "")), str(info.get("Message", ""))
    if code in RETRYABLE or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (429, 503):
        return EndpointUnavailable(f"endpoint {endpoint} is busy or not ready ({code})")
    # SageMaker Runtime answers an unknown endpoint with ValidationError ("Endpoint x of account y not found.").
    if code in ("ValidationError", "ValidationException") and "not found" in message.lower():
        return EndpointUnavailable(f"endpoint {endpoint} does not exist (yet)")
    if code == "ModelError":
        status = error.response.get("OriginalStatusCode", "unknown")
        return ModelFailed(f"the model on endpoint {endpoint} failed (status {status})")
    return ModelFailed(f"invoking endpoint {endpoint} failed ({code or type(error).__name__})")
