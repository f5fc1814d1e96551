"""What both local servers share: keep-alive HTTP/1.1, Nagle off, quiet logs, socket timeouts, JSON errors
(never the standard library's HTML page), several processes on one port."""

from __future__ import annotations

import json
import signal
import socket
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slipstream.local.serving.deadline import DeadlineReader, RequestDeadline

LOOPBACK = "127.0.0.1"
# A client that sends nothing for this long (a half-sent request, an idle keep-alive connection) is dropped,
# so it holds its thread no longer; API Gateway's own idle limit is longer, but each thread here is a
# process's memory. The callers (botocore, urllib3, browsers) reopen a dropped idle connection by themselves.
SOCKET_TIMEOUT = 10.0
# The whole request, from its headers' arrival to its body's last byte ([serving] request_timeout_seconds).
REQUEST_TIMEOUT = 30.0


class KeepAliveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a new TCP connection per request costs more than the model
    # BaseHTTPRequestHandler writes headers and body in separate sends: with Nagle on, every keep-alive
    # response waits ~40 ms for the client's delayed ACK (docs/performance.md#nagle).
    disable_nagle_algorithm = True
    timeout = SOCKET_TIMEOUT  # StreamRequestHandler sets it on the connection; a read past it ends the connection
    request_timeout = REQUEST_TIMEOUT
    request_deadline = 0.0

    def parse_request(self) -> bool:
        # The clock starts once the headers are in; the idle time of a keep-alive connection does not count.
        self.request_deadline = time.monotonic() + self.request_timeout
        return super().parse_request()

    def body_reader(self, pause: float | None = None) -> DeadlineReader:
        """The body's stream, bounded by the request's deadline and by `pause` (default: the socket timeout)
        between bytes."""
        return DeadlineReader(self.connection, self.rfile, self.request_deadline, pause or self.timeout)

    def timeout_detail(self, error: TimeoutError) -> str:
        if isinstance(error, RequestDeadline):
            return f"the request did not arrive within its {self.request_timeout:g}s deadline ({error})"
        return f"the body stopped arriving: nothing for {self.timeout:g}s"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request on stderr would cost more than routing it

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return self.body_reader().read(length) if length > 0 else b""
        except TimeoutError as error:
            # The stdlib drops the connection on the TimeoutError re-raised; the client learns why first.
            self.send_error_json(408, "request timeout", self.timeout_detail(error))
            raise

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own refusals (garbage request line, oversized header, unknown method) as JSON."""
        try:
            phrase = HTTPStatus(code).phrase.lower()
        except ValueError:
            phrase = "error"
        if self.request_version == "HTTP/0.9":  # unparsable request line: answer with a status line anyway
            self.request_version = self.protocol_version
        self.send_error_json(code, phrase, message or explain or phrase)

    def send_error_json(self, status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> None:
        """The predict handler's error shape (lambdas/predict/schema.py ErrorResponse) for what this server
        answers itself; after a 4xx/5xx of its own the connection's state is unknown, so it is closed."""
        self.close_connection = True
        body = {"error": error, "detail": detail, "problems": [], "request_id": str(uuid.uuid4())}
        self.send_json(status, body, {"Connection": "close", **(headers or {})})

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response_only(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], reuse_port: bool) -> None:
        self._reuse_port = reuse_port
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # Several worker processes listen on one port (like several Lambda instances); the kernel spreads
        # connections between them.
        if self._reuse_port:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def ensure_free(host: str, port: int) -> None:
    """Refuse a port something already listens on (SO_REUSEPORT would otherwise let us share it silently)."""
    from slipstream.errors import SlipstreamError

    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            raise SlipstreamError(f"{host}:{port} is in use; stop what runs there or pass --port") from None


def serve_until_interrupted(server: Server, announcement: dict[str, Any]) -> None:
    """Print where we listen (the supervisor waits for that line), then serve until Ctrl-C or SIGTERM."""
    signal.signal(signal.SIGTERM, _interrupt)  # serve stops its children with SIGTERM: close as on Ctrl-C
    print(json.dumps(announcement), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt
