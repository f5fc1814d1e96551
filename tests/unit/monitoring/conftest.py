"""A local HTTP server standing in for Slack's webhook, and Lambda test helpers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class FakeSlack:
    """Answers each POST with the next scripted status (the last one repeats); records every payload."""

    url: str = ""
    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[dict[str, Any]] = field(default_factory=list)

    def answer(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fake.received.append(json.loads(body))
            status = fake.answer()
            reply = b"ok" if status == 200 else b"internal_error"
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/XXXX"
    yield fake
    server.shutdown()
    server.server_close()


@dataclass
class LambdaContext:
    function_name: str = "slack-notifier"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:slack-notifier"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()
