"""What both local servers share: keep-alive HTTP/1.1, Nagle off, quiet logs, several processes on one port."""

from __future__ import annotations

import json
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class KeepAliveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a new TCP connection per request costs more than the model
    # BaseHTTPRequestHandler writes headers and body in separate sends: with Nagle on, every keep-alive
    # response waits ~40 ms for the client's delayed ACK (docs/performance.md#nagle).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request on stderr would cost more than routing it

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

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
    print(json.dumps(announcement), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
