"""The smoke test's checks, and its front-door transport against a real loopback HTTP server."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lambdas.predict.routing import caller_share
from slipstream.config import MinimumCase
from slipstream.contract import Contract, Feature
from slipstream.documents.smoke import SMOKE_CALLER_ID
from slipstream.steps.front_door import FrontDoor
from slipstream.steps.smoke_test import endpoint_post, smoke_test


class _Runtime:
    def __init__(self, answer: dict):
        self.answer, self.calls = answer, []

    def invoke_endpoint(self, **kwargs):
        self.calls.append(kwargs)
        return {"Body": io.BytesIO(json.dumps(self.answer).encode())}


def _contract(task: str = "classification") -> Contract:
    feature = Feature(name="x", kind="numeric", dtype="float64", min=0.0, max=10.0, null_rate=0.0)
    return Contract(
        target="y",
        task=task,
        features=[feature],
        labels=["a", "b"] if task == "classification" else None,
        row_count=100,
        duplicate_rate=0.0,
        created_at=datetime.now(UTC),
    )


def _answer(predictions, version="3", variant="champion"):
    return lambda body: (200, {"predictions": predictions, "model_version": version, "variant": variant}, "")


def test_endpoint_transport_sends_the_typical_row():
    runtime = _Runtime({"predictions": ["a"]})
    post = endpoint_post(runtime, "ep")
    result = smoke_test(post, "ep", _contract(), {"features": {"x": {"mean": 4.0}}})
    assert result.passed and json.loads(runtime.calls[0]["Body"]) == {"instances": [{"x": 4.0}]}


def test_unknown_labels_missing_predictions_and_errors_fail():
    assert not smoke_test(endpoint_post(_Runtime({"predictions": ["zzz"]}), "ep"), "ep", _contract()).passed
    assert not smoke_test(endpoint_post(_Runtime({"oops": 1}), "ep"), "ep", _contract()).passed

    def broken(body):
        raise ConnectionError("refused")

    result = smoke_test(broken, "https://api/predict", _contract())
    assert not result.passed and "ConnectionError: refused" in result.problems[0]


def test_regression_minimum_functionality_ranges_are_checked():
    cases = [
        MinimumCase(name="low", instance={"x": 1.0}, expected_max=10.0),
        MinimumCase(name="high", instance={"x": 9.0}, expected_min=50.0, expected_max=80.0),
    ]
    contract = _contract("regression")
    assert smoke_test(_answer([30.0, 5.0, 60.0]), "api", contract, cases=cases).passed
    result = smoke_test(_answer([30.0, 12.0, 90.0]), "api", contract, cases=cases)
    assert result.problems == ["row 1: expected at most 10.0, got 12.0", "row 2: expected at most 80.0, got 90.0"]
    assert not smoke_test(_answer([30.0, True, 60.0]), "api", contract, cases=cases).passed  # a bool is no number


def test_the_answer_must_come_from_the_version_just_deployed_and_the_champion():
    contract = _contract()
    assert smoke_test(_answer(["a"]), "api", contract, model_version="3").passed
    old = smoke_test(_answer(["a"], version="2"), "api", contract, model_version="3")
    assert old.problems == ["answered by model version '2', not the version just deployed (3)"]
    challenger = smoke_test(_answer(["a"], variant="challenger"), "api", contract, model_version="3")
    assert "not the champion" in challenger.problems[0]


def test_an_error_status_fails_with_the_body():
    result = smoke_test(lambda body: (503, None, '{"error": "no model"}'), "api", _contract())
    assert result.problems == ['api answered HTTP 503: {"error": "no model"}']


def test_the_smoke_caller_lands_on_the_champion_side_of_any_experiment_weight():
    assert caller_share(SMOKE_CALLER_ID) > 0.9999


@pytest.fixture
def api():
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
            ok = self.headers.get("x-api-key") == "secret"
            answer = (
                {"predictions": ["a"], "model_version": "3", "variant": "champion"} if ok else {"message": "Forbidden"}
            )
            raw = json.dumps(answer).encode()
            self.send_response(200 if ok else 403)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/dev/", seen
    server.shutdown()
    server.server_close()


def test_front_door_posts_to_predict_with_the_key_and_the_smoke_caller(api):
    url, seen = api
    door = FrontDoor(url=url, caller_header="X-Team", api_key="secret", timeout_seconds=5)
    result = smoke_test(door.post, door.predict_url, _contract(), model_version="3")
    assert result.passed, result.problems
    assert seen[0]["path"] == "/dev/predict" and seen[0]["headers"]["X-Team"] == SMOKE_CALLER_ID
    refused = smoke_test(FrontDoor(url=url, api_key="wrong").post, url, _contract())
    assert refused.problems == [f'{url} answered HTTP 403: {{"message": "Forbidden"}}']
