"""The local API Gateway and a request's framing, over raw sockets: an invalid, chunked or lying Content-Length
is a 4xx JSON answer with `detail` and `request_id`, and a body over the limit is answered (413), not reset."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from slipstream.local.serving.front_server import make_request_handler
from slipstream.local.serving.httpbase import Server, free_port
from slipstream.local.strict.api_gateway import GatewayLimits

LIMITS = GatewayLimits(max_body_bytes=4000)


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": event["body"] or ""}


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    server = Server(("127.0.0.1", free_port()), make_request_handler(echo, LIMITS), reuse_port=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield ("127.0.0.1", server.server_address[1])
    server.shutdown()
    server.server_close()


def _exchange(address: tuple[str, int], head: str, body: bytes = b"", half_close: bool = False) -> tuple[int, bytes]:
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1]


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def _head(**headers: str) -> str:
    lines = ["POST /predict HTTP/1.1", "Host: x", "Content-Type: application/json"]
    return "\r\n".join(lines + [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]) + "\r\n"


@pytest.mark.parametrize(("length", "status"), [("abc", 400), ("-5", 400), ("1e3", 400), ("9" * 40, 400)], ids=str)
def test_an_invalid_content_length_is_a_400_json(address, length, status) -> None:
    got, body = _exchange(address, _head(Content_Length=length), b"{}")
    answer = json.loads(body)
    assert got == status and answer["request_id"] and "Content-Length" in answer["detail"]


def test_a_chunked_body_is_411_not_a_garbage_next_request(address) -> None:
    got, body = _exchange(address, _head(Transfer_Encoding="chunked"), b"2\r\n{}\r\n0\r\n\r\n")
    assert got == 411 and json.loads(body)["request_id"]


def test_a_body_shorter_than_its_content_length_is_a_400(address) -> None:
    got, body = _exchange(address, _head(Content_Length="100"), b'{"a": 1}', half_close=True)
    assert got == 400 and "8 of the 100 bytes" in json.loads(body)["detail"]


def test_a_body_over_the_limit_gets_its_413_instead_of_a_reset(address) -> None:
    # 12 MB: more than the socket buffers hold, so a server that stops reading makes the client's send fail.
    request = urllib.request.Request(f"http://{address[0]}:{address[1]}/predict", data=b"x" * 12_000_000)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=20)
    assert refused.value.code == 413 and b"exceeded 4000 bytes" in refused.value.read()


def test_a_valid_length_still_reaches_the_function(address) -> None:
    assert _exchange(address, _head(Content_Length="2"), b"{}") == (200, b"{}")
