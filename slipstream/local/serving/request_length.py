"""The request body's length as the local API Gateway reads it: an invalid, lying or missing length is a 4xx
JSON answer, never an exception in the server thread (which closed the connection without an answer).

The answers carry `detail` and a `request_id` (a fresh id: no Lambda ran) in the handler's error shape.
"""

from __future__ import annotations

import json
import uuid
from email.message import Message
from typing import Protocol

from slipstream.local.strict.api_gateway import GatewayAnswer

DRAIN_LIMIT = 64 * 1024 * 1024  # past this an over-limit body is not read to the end: the connection is dropped
CHUNK = 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class LengthProblem(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail

    def answer(self) -> GatewayAnswer:
        body = {"error": "invalid request", "detail": self.detail, "problems": [], "request_id": str(uuid.uuid4())}
        return GatewayAnswer(self.status, {"Content-Type": "application/json"}, json.dumps(body).encode())


def declared_length(headers: Message) -> int:
    """Content-Length as a number of bytes (0 when absent); LengthProblem for what no server can frame."""
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        raise LengthProblem(411, "Transfer-Encoding: chunked is not accepted here; send a Content-Length")
    raw = headers.get("Content-Length")
    if raw is None:
        return 0
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise LengthProblem(400, f"Content-Length {raw[:40]!r} is not a number of bytes")
    return int(text)


def read_exactly(rfile: Readable, length: int) -> bytes:
    """The body, all of it: a body shorter than its Content-Length (the client stopped sending) is a 400."""
    body = rfile.read(length) if length > 0 else b""
    if len(body) < length:
        raise LengthProblem(400, f"the body ended after {len(body)} of the {length} bytes its Content-Length promised")
    return body


def discard(rfile: Readable, length: int) -> bool:
    """Read and drop a body that will not be used, so the client reads the answer instead of a connection reset
    (closing with unread data makes the kernel send RST). False when it is too large to be worth reading."""
    if length > DRAIN_LIMIT:
        return False
    left = length
    while left > 0:
        chunk = rfile.read(min(CHUNK, left))
        if not chunk:
            return False
        left -= len(chunk)
    return True
