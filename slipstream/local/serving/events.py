"""API Gateway REST (v1) proxy events and a Lambda context, built from a local HTTP request."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

STAGE = "local"


def rest_event(method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str) -> dict[str, Any]:
    """The event API Gateway's proxy integration would send for this request."""
    parts = urlsplit(target)
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    query = parse_qs(parts.query, keep_blank_values=True)
    request_id = str(uuid.uuid4())
    text = body.decode("utf-8", errors="replace") if body else None
    return {
        "resource": parts.path,
        "path": parts.path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "requestId": request_id,
            "extendedRequestId": request_id,
            "stage": STAGE,
            "resourcePath": parts.path,
            "httpMethod": method,
            "path": f"/{STAGE}{parts.path}",
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": multi_headers.get("User-Agent", [""])[-1]},
        },
        "body": text,
        "isBase64Encoded": False,
    }


@dataclass
class LocalContext:
    """The attributes powertools reads from a Lambda context."""

    function_name: str = "predict"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:predict"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "local"
    log_stream_name: str = "local"
    timeout_ms: int = 29_000  # API Gateway's integration timeout
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.timeout_ms - int((time.monotonic() - self.started) * 1000))
