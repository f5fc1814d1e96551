"""API Gateway (REST, Lambda proxy) and Lambda's synchronous limits, answered as AWS answers them.

- body over 10 MB: API Gateway refuses it before any Lambda runs, 413 with the text
  "HTTP content length exceeded 10485760 bytes." (koki-develop/lgtm-generator#10 shows the response);
- the proxy event over Lambda's 6 MB synchronous request payload: 413 {"message": "Request Too Long"},
  x-amzn-ErrorType BadRequestException (same source);
- no answer within the 29 s integration timeout: 504 {"message": "Endpoint request timed out"}
  (INTEGRATION_TIMEOUT, aws/context-ontology-accelerator#143);
- the function's response over 6 MB (6291556 bytes): Lambda fails the invocation and API Gateway answers
  502 {"message": "Internal server error"} (INTEGRATION_FAILURE); the execution log says
  "Lambda Customer Function Error:Response payload size exceeded maximum allowed payload size (6291556
  bytes)." (DataBiosphere/azul#8192); a function that raises gets the same 502.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

MB = 1024 * 1024


@dataclass(frozen=True)
class GatewayLimits:
    max_body_bytes: int = 10 * MB
    integration_timeout: float = 29.0
    max_event_bytes: int = 6 * MB  # Lambda's synchronous invocation request payload
    max_response_bytes: int = 6291556  # Lambda's synchronous response payload, as its error message says


@dataclass(frozen=True)
class GatewayAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    log: str | None = None  # what API Gateway's execution log would say


def body_too_large(limits: GatewayLimits, request_id: str | None = None) -> GatewayAnswer:
    """AWS's text, in the error shape the stack's gateway responses and the handler use (with `message`)."""
    request_id = request_id or str(uuid.uuid4())
    text = f"HTTP content length exceeded {limits.max_body_bytes} bytes."
    body = {"message": text, "error": "payload too large", "detail": text, "problems": [], "request_id": request_id}
    return GatewayAnswer(413, {"Content-Type": "application/json"}, json.dumps(body).encode())


def event_too_large() -> GatewayAnswer:
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": "BadRequestException"}
    return GatewayAnswer(413, headers, json.dumps({"message": "Request Too Long"}).encode())


def timed_out() -> GatewayAnswer:
    return GatewayAnswer(504, {"Content-Type": "application/json"}, b'{"message": "Endpoint request timed out"}')


def integration_failure(log: str) -> GatewayAnswer:
    body = json.dumps({"message": "Internal server error"}).encode()
    return GatewayAnswer(502, {"Content-Type": "application/json"}, body, f"Lambda Customer Function Error:{log}")


def check_response(result: Any, limits: GatewayLimits) -> GatewayAnswer | None:
    """The 502 a too large (or not JSON-serialisable) function result gets, else None."""
    try:
        size = len(json.dumps(result).encode())
    except (TypeError, ValueError) as error:
        return integration_failure(f"the function's result is not JSON ({error})")
    if size > limits.max_response_bytes:
        return integration_failure(
            f"Response payload size exceeded maximum allowed payload size ({limits.max_response_bytes} bytes)."
        )
    return None


def proxy_answer(result: dict[str, Any]) -> GatewayAnswer:
    """The HTTP answer API Gateway makes of a Lambda proxy integration's result."""
    headers = dict(result.get("headers") or {})
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(values)
    raw = result.get("body") or ""
    payload = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
    headers.pop("Content-Length", None)
    return GatewayAnswer(int(result.get("statusCode", 502)), headers, payload)
