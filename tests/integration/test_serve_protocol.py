"""What the local servers answer below the handler: methods, malformed requests, slow clients, the bind address."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from slipstream.local.serving import supervisor
from slipstream.local.serving.httpbase import SOCKET_TIMEOUT
from tests.integration.serve_faults import listening_addresses

pytestmark = pytest.mark.slow


def _exchange(url: str, raw: bytes, timeout: float = 5) -> tuple[int, dict[str, str], dict, float]:
    """Send `raw` as is; (status, headers, JSON body, seconds until the server closed)."""
    parts = urlsplit(url)
    start = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body), time.monotonic() - start


def _assert_json_error(status: int, headers: dict[str, str], body: dict, expected: int) -> None:
    assert status == expected, body
    assert headers["Content-Type"] == "application/json"
    assert body["error"] and body["detail"] and body["request_id"], body


def test_trace_is_405_json_with_allow(served) -> None:
    status, headers, body, _ = _exchange(served.url, b"TRACE /predict HTTP/1.1\r\nHost: x\r\n\r\n")
    _assert_json_error(status, headers, body, 405)
    assert headers["Allow"] == "GET, POST" and "TRACE" in body["detail"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello\r\n\r\n", 400),  # TLS on the HTTP port
        (b"GET /health HTTP/9.9\r\n\r\n", 505),
        (b"GET /health HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GET /health HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(120)) + b"\r\n", 431),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
    ],
    ids=["garbage-line", "tls-hello", "http-9.9", "oversized-header", "too-many-headers", "long-uri"],
)
def test_malformed_requests_get_json_4xx_not_the_stdlib_html(served, raw, expected) -> None:
    for url in (served.url, f"http://127.0.0.1:{served.endpoint_port}"):  # both servers
        status, headers, body, _ = _exchange(url, raw)
        _assert_json_error(status, headers, body, expected)


def test_the_fronts_own_413_has_detail_and_request_id(served) -> None:
    raw = b"POST /predict HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\n\r\n{"
    status, headers, body, _ = _exchange(served.url, raw)
    _assert_json_error(status, headers, body, 413)
    assert body["message"] == body["detail"] == "HTTP content length exceeded 10485760 bytes."


def test_half_sent_requests_are_dropped_after_the_socket_timeout(served) -> None:
    endpoint = f"http://127.0.0.1:{served.endpoint_port}"
    body_short = b"POST /predict HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    sockets = []
    for url, raw in ((served.url, b"POST /predict HTTP/1.1\r\nContent-Le"), (endpoint, b"GET /pi")):
        parts = urlsplit(url)
        sock = socket.create_connection((parts.hostname, parts.port), timeout=SOCKET_TIMEOUT + 5)
        sock.sendall(raw)
        sockets.append(sock)
    status, _, answer, seconds = _exchange(served.url, body_short, timeout=SOCKET_TIMEOUT + 5)
    assert status == 408 and answer["request_id"] and SOCKET_TIMEOUT - 1 < seconds < SOCKET_TIMEOUT + 3
    for sock in sockets:  # closed by the server, not by us: recv returns b"" instead of timing out
        with sock:
            assert sock.recv(100) == b""


def test_the_endpoint_server_listens_on_loopback_only(served, monkeypatch) -> None:
    assert listening_addresses(served.endpoint_port) == {"127.0.0.1"}
    assert served.api_env["SAGEMAKER_RUNTIME_ENDPOINT_URL"] == f"http://127.0.0.1:{served.endpoint_port}"
    # With the API on every interface, the endpoint is still started on loopback only.
    spawned: list[list[str]] = []
    monkeypatch.setattr(supervisor.Child, "spawn", lambda child: spawned.append(child.args))
    monkeypatch.setattr(supervisor.Servers, "_wait_until", lambda *_: None)
    supervisor.Servers(replace(served, host="0.0.0.0"), workers=2).start()
    endpoint, front = spawned[0], spawned[1]
    assert endpoint[:2] == ["-m", "slipstream.local.serving.endpoint_server"] and "--host" not in endpoint
    assert front[front.index("--host") + 1] == "0.0.0.0"
