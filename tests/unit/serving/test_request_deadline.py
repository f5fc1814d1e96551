"""A whole-request deadline on both local servers: a body trickling in, a byte at a time but never pausing as
long as the socket timeout, gets a 408 JSON with a request_id at the deadline, not whenever it ends."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from slipstream.local.serving import endpoint_server, front_server
from slipstream.local.serving.httpbase import SOCKET_TIMEOUT, Server, free_port

DEADLINE = 1.0
DRIP = 0.25  # seconds between bytes: far below the socket timeout, so only the deadline can end it


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": event["body"] or ""}


def _serve(handler: type) -> Iterator[tuple[str, int]]:
    server = Server(("127.0.0.1", free_port()), handler, reuse_port=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield ("127.0.0.1", server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module", params=["front", "endpoint"])
def address(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    if request.param == "front":
        handler = front_server.make_request_handler(echo, request_timeout=DEADLINE)
    else:
        handler = endpoint_server.make_request_handler({})
        handler.request_timeout = DEADLINE
    yield from _serve(handler)


def _head(length: int) -> bytes:
    return (
        f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def _answer(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_a_trickling_body_gets_408_at_the_deadline(address: tuple[str, int]) -> None:
    assert SOCKET_TIMEOUT > 4 * DEADLINE
    with socket.create_connection(address, timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(_head(1000))
        try:
            for _ in range(40):  # would take 10 s to finish
                sock.sendall(b" ")
                time.sleep(DRIP)
        except OSError:
            pass  # the server answered and closed while we were still dripping
        status, body = _answer(sock)
        seconds = time.monotonic() - started
    assert status == 408, body
    assert body["request_id"] and "deadline" in body["detail"], body
    assert DEADLINE - 0.1 < seconds < DEADLINE + 2 * DRIP + 1.0, seconds


def test_a_keep_alive_connection_idle_past_the_deadline_still_serves_its_next_request(
    address: tuple[str, int],
) -> None:
    """The clock starts when a request's headers are in, not when the connection opened."""
    body = b'{"instances": []}'
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 ")
        time.sleep(DEADLINE + 0.3)
        sock.sendall(_head(len(body)) + body)
        first = sock.recv(65536)
    assert not first.startswith(b"HTTP/1.1 408"), first[:200]
