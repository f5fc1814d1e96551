"""`slipstream serve` over real HTTP: API server -> handler -> boto3 -> local endpoint -> inference.py."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest

from slipstream.local.serving.report import example_instance

pytestmark = pytest.mark.slow


def _request(url: str, body: Any = None, content_type: str = "application/json", **headers: str):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type, **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@pytest.fixture(scope="module")
def row(served) -> dict[str, Any]:
    return example_instance(served.config.contract_path)


def test_predict_answers_with_version_variant_probabilities_and_is_captured(served, row) -> None:
    status, _, body = _request(f"{served.url}/predict", {"instances": [row, row]})
    assert status == 200, body
    assert body["predictions"] == ["malignant", "malignant"]
    assert set(body["probabilities"][0]) == {"benign", "malignant"}
    assert (body["variant"], body["model_version"]) == ("champion", served.deployment.champion.version)
    capture = served.folder / "capture" / "predictions.jsonl"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and body["request_id"] not in (capture.read_text() if capture.exists() else ""):
        time.sleep(0.05)
    deadline = time.monotonic() + 30  # the request's two rows may reach the file in two writes
    while time.monotonic() < deadline and capture.read_text().count(body["request_id"]) < 2:
        time.sleep(0.05)
    records = [json.loads(line) for line in capture.read_text().splitlines()]
    rows = [r for r in records if r["request_id"] == body["request_id"]]
    assert [r["row"] for r in rows] == [0, 1] and rows[0]["model_version"] == body["model_version"]
    assert rows[0]["prediction"] == "malignant" and rows[0]["probabilities"] == body["probabilities"][0]
    assert rows[0]["latency_ms"] > 0 and rows[0]["mean_radius"] == row["mean radius"]


def test_feedback_health_and_model(served, row) -> None:
    issued = _request(f"{served.url}/predict", {"instances": [row, row]})[2]["request_id"]
    status, _, body = _request(f"{served.url}/feedback", {"request_id": issued, "row": 1, "ground_truth": "benign"})
    assert status == 200 and body["stored"]
    assert json.loads((served.folder / "feedback.jsonl").read_text().splitlines()[-1])["request_id"] == issued
    status, _, body = _request(f"{served.url}/feedback", {"request_id": "abc", "ground_truth": "benign"})
    assert status == 404 and body["request_id"]  # only what /predict issued: live quality cannot be poisoned
    assert _request(f"{served.url}/feedback", {"request_id": issued, "row": 2, "ground_truth": "benign"})[0] == 400
    with urllib.request.urlopen(f"{served.url}/model", timeout=10) as response:
        model = json.loads(response.read())
    assert model["champion"]["model_card"] and model["labels"] == ["benign", "malignant"]
    importance = model["champion"]["importance"]  # from the version's registered evaluation.json
    assert importance["metric"] == "roc_auc" and len(importance["features"]) == 30 and importance["flags"] == []
    assert importance["features"][0]["feature"] in model["champion"]["model_card"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"instances": [', "application/json", 400),
        ({"instances": []}, "application/json", 400),
        ({"instances": [{"mean radius": "big"}]}, "application/json", 400),
        (b"1,2,3", "text/csv", 415),
        (b"x" * 2_000_000, "application/json", 413),
    ],
    ids=["malformed", "empty", "wrong type and missing", "csv", "too large"],
)
def test_bad_requests_over_http_are_4xx_without_tracebacks(served, body, content_type, status) -> None:
    got, _, answer = _request(f"{served.url}/predict", body, content_type)
    assert got == status and "Traceback" not in json.dumps(answer)


def test_a_second_serve_on_the_same_port_is_refused(served) -> None:
    from slipstream.errors import SlipstreamError
    from slipstream.local.serving.httpbase import ensure_free

    with pytest.raises(SlipstreamError, match="in use"):
        ensure_free(served.host, served.port)


def test_the_smoke_test_goes_through_the_front_door_and_is_not_captured(served) -> None:
    """What `slipstream serve` runs before it says it is ready: the pipeline's SmokeTest, over HTTP."""
    from dataclasses import replace

    from slipstream.config import MinimumCase
    from slipstream.local.serving.smoke import smoke_test_serving

    capture = served.folder / "capture" / "predictions.jsonl"

    def captured() -> int:
        return len(capture.read_text().splitlines()) if capture.exists() else 0

    before = captured()
    result = smoke_test_serving(served)
    assert result.passed, result.problems
    assert result.endpoint == f"{served.url}/predict" and result.examples == 3
    large = served.config.behaviour.minimum_functionality[0]  # "large irregular tumour is malignant"
    wrong = MinimumCase(name="wrong on purpose", instance=large.instance, expected="benign")
    behaviour = served.config.behaviour.model_copy(update={"minimum_functionality": [wrong]})
    failing = smoke_test_serving(replace(served, config=served.config.model_copy(update={"behaviour": behaviour})))
    assert failing.problems == ["row 1: expected 'benign', got 'malignant'"]
    time.sleep(0.5)  # captures are written in the background: give a wrongly captured row time to land
    assert captured() == before


def _catalogue() -> list:
    from tests.input_catalogue import catalogue

    return catalogue({"mean radius": 14.0, "mean texture": 19.0})  # only the shape matters for the ids


@pytest.mark.parametrize("case", [c[0] for c in _catalogue()])
def test_the_input_catalogue_over_http_is_4xx_json_with_a_request_id(served, row, case) -> None:
    from tests.input_catalogue import catalogue

    (path, body, reason) = next(c[1:] for c in catalogue(row) if c[0] == case)
    got, _, answer = _request(f"{served.url}{path}", body)
    assert got == 400 and answer["request_id"], answer
    assert any(reason in problem["reason"] for problem in answer["problems"]), answer
    assert len(json.dumps(answer)) < 1200  # a bounded excerpt, never the value sent


@pytest.mark.parametrize("length", ["abc", "-1", "1e3"])
def test_an_invalid_content_length_over_http_is_a_400_json(served, length) -> None:
    import socket

    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}".encode())
        answer = b""
        while not answer.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and json.loads(body)["request_id"]
