"""`slipstream notify` against webhooks that misbehave: one that drips its answer a byte at a time cannot keep it
past its deadline, and an answer other than 2xx (a redirect included) is a failure, never "Sent"."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slipstream.cli.main import app
from slipstream.monitoring.slack import SlackDeliveryFailed, post
from tests.unit.monitoring.test_commands import config  # noqa: F401 - the project fixture

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class Misbehaving(BaseHTTPRequestHandler):
    mode = "drip"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        for byte in ANSWER:  # each byte well within the socket timeout, the whole answer far beyond the deadline
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.3)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, type[Misbehaving]]]:
    handler = type("Handler", (Misbehaving,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()
    server.server_close()


def test_a_dripping_webhook_cannot_hold_post_past_its_deadline(webhook) -> None:
    url, _ = webhook
    started = time.monotonic()
    with pytest.raises(SlackDeliveryFailed, match="deadline"):
        post(url, {"text": "hi"}, attempts=3, timeout=1.0, deadline=1.5, sleep=time.sleep)
    assert time.monotonic() - started < 10  # the drip alone takes ~14 s per attempt (3 attempts: ~42 s)


def test_a_redirect_is_a_failure_not_followed(webhook) -> None:
    url, handler = webhook
    handler.mode = "redirect"
    with pytest.raises(SlackDeliveryFailed, match="Slack answered 302"):
        post(url, {"text": "hi"}, attempts=3, deadline=5, sleep=lambda _: None)


def test_notify_reports_the_deadline_as_a_failure(config: Path, webhook, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("SLIPSTREAM_SLACK_WEBHOOK_URL", webhook[0])
    started = time.monotonic()
    result = CliRunner().invoke(app, ["notify", "--test", "--config", str(config), "--deadline", "1"])
    assert result.exit_code == 1 and "Sent" not in result.output and "deadline" in result.output
    assert time.monotonic() - started < 10  # well inside one ~14 s drip
