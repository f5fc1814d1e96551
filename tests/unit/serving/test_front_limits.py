"""The local API Gateway's limits over real HTTP, with small limits injected (the real ones are 10 MB, 6 MB, 29 s).

The function behind it is a plain handler here: what is under test is what API Gateway and Lambda answer
around any function (the predict handler's own behaviour is covered by test_predict_api.py).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from slipstream.local.serving.front_server import make_request_handler
from slipstream.local.serving.httpbase import Server, free_port
from slipstream.local.strict.api_gateway import GatewayLimits

FUNCTION_SECONDS = 4  # the slow invocation: far beyond the integration timeout, even on a loaded machine
# 1.5 s: a trivial invocation answers well within it even with the whole suite loading both cores
LIMITS = GatewayLimits(max_body_bytes=4000, max_event_bytes=3000, integration_timeout=1.5, max_response_bytes=2000)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    command = json.loads(event["body"] or "{}")
    if "sleep" in command:
        time.sleep(command["sleep"])
    if command.get("crash"):
        raise RuntimeError("boom")
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "x" * command.get("size", 2)}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    server = Server(("127.0.0.1", free_port()), make_request_handler(handler, LIMITS), reuse_port=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/predict"
    server.shutdown()
    server.server_close()


def _post(url: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_a_body_over_the_gateway_limit_is_413_before_any_function_runs(url) -> None:
    status, _, body = _post(url, json.dumps({"crash": True, "pad": "p" * 5000}).encode())
    answer = json.loads(body)
    assert status == 413 and answer["message"] == answer["detail"] == "HTTP content length exceeded 4000 bytes."
    assert answer["error"] == "payload too large" and answer["request_id"]


def test_an_event_over_lambdas_request_limit_is_413_request_too_long(url) -> None:
    status, headers, body = _post(url, json.dumps({"pad": "p" * 2500}).encode())  # the event adds headers etc.
    assert status == 413 and json.loads(body) == {"message": "Request Too Long"}
    assert headers["x-amzn-ErrorType"] == "BadRequestException"


def _wait_until_idle(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while _post(url, json.dumps({"size": 10}).encode())[0] != 200:
        assert time.monotonic() < deadline, f"the function was still busy after {timeout} s"
        time.sleep(0.1)


def test_a_function_slower_than_the_integration_timeout_is_504(url) -> None:
    started = time.monotonic()
    status, _, body = _post(url, json.dumps({"sleep": FUNCTION_SECONDS}).encode())
    assert (status, json.loads(body)) == (504, {"message": "Endpoint request timed out"})
    assert time.monotonic() - started < FUNCTION_SECONDS  # answered while the function still ran


@pytest.mark.parametrize("command", [{"size": 3000}, {"crash": True}], ids=["response too large", "crash"])
def test_a_response_over_lambdas_limit_or_a_crash_is_502(url, command: dict[str, Any]) -> None:
    _wait_until_idle(url)  # the timed-out invocation of the previous test runs on (one invocation at a time)
    status, _, body = _post(url, json.dumps(command).encode())
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})


def test_within_the_limits_the_functions_answer_passes(url) -> None:
    # xdist may run this right after the 504 test on the same worker, while that invocation still sleeps
    _wait_until_idle(url)
    assert _post(url, json.dumps({"size": 10}).encode())[2] == b"x" * 10
