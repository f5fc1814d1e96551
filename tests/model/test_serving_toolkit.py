"""inference.py under the image's real serving stack: gunicorn + sagemaker_containers on the image's Python,
behind the local SageMaker Runtime (endpoint_server), called with boto3 as the predict Lambda calls it.

The model is trained by training/train.py on the image's Python too: the container cannot unpickle a model
from the laptop's newer scikit-learn, which is the point of training there.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig

from slipstream.local.serving.endpoint_server import make_request_handler, start_endpoints, stop_endpoints
from slipstream.local.serving.httpbase import Server, free_port
from slipstream.local.strict.serverless import MB, ServerlessLimits
from slipstream.sourcedir import extract_sourcedir
from tests.model.model_suite import Split, train_in_image

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("toolkit")]

# Body "<seconds>" sleeps that long; "until:<path>" holds its slot until the test creates <path> (at most 10 s),
# so a test can keep an invocation in flight for as long as it needs, however slow the machine.
SLOW_PROGRAM = """
import os
import time

def model_fn(model_dir):
    return None

def transform_fn(model, body, content_type, accept):
    text = body.decode() if isinstance(body, bytes) else str(body)
    if text.startswith("until:"):
        deadline = time.monotonic() + 10
        while not os.path.exists(text[len("until:"):]) and time.monotonic() < deadline:
            time.sleep(0.01)
    else:
        time.sleep(float(text))
    return "slept", "text/plain"
"""


@pytest.fixture(scope="module")
def image_model(tmp_path_factory: pytest.TempPathFactory, cancer: Split) -> Path:
    return train_in_image(tmp_path_factory.mktemp("image-lr"), cancer.train_dir)


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory, image_model: Path) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A boto3 sagemaker-runtime client on a local SageMaker Runtime, and the endpoints it hosts."""
    root = tmp_path_factory.mktemp("toolkit")
    sourcedir = extract_sourcedir(root / "sourcedir")
    slow = root / "slow"
    slow.mkdir()
    (slow / "inference.py").write_text(SLOW_PROGRAM, encoding="utf-8")
    spec = {
        "model": {"model_dir": str(image_model), "code_dir": str(sourcedir), "version": "3"},
        "slow": {"model_dir": str(image_model), "code_dir": str(slow), "version": "1", "max_concurrency": 1},
    }
    limits = ServerlessLimits(max_payload_bytes=MB // 4, invocation_timeout=1.5)
    endpoints = start_endpoints(spec, root / "containers", workers=2, limits=limits)
    server = Server(("127.0.0.1", free_port()), make_request_handler(endpoints), reuse_port=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = BotoConfig(retries={"max_attempts": 1}, read_timeout=10)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}  # signed, never checked
    client = boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1", config=config, **credentials)
    yield client, endpoints
    server.shutdown()
    server.server_close()
    stop_endpoints(endpoints)


@pytest.fixture(scope="module")
def runtime(hosted: tuple[Any, dict[str, Any]]) -> Any:
    return hosted[0]


def _rows(split: Split, n: int) -> list[dict[str, Any]]:
    return split.test.drop(columns="target").head(n).to_dict(orient="records")


def _model_error(runtime: Any, **call: Any) -> dict[str, Any]:
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        runtime.invoke_endpoint(EndpointName="model", **call)
    return raised.value.response


def test_the_sourcedir_program_answers_with_the_models_version(runtime, cancer: Split) -> None:
    body = json.dumps({"instances": _rows(cancer, 2)})
    answer = runtime.invoke_endpoint(EndpointName="model", ContentType="application/json", Body=body)
    payload = json.loads(answer["Body"].read())
    assert answer["ContentType"] == "application/json" and answer["InvokedProductionVariant"] == "AllTraffic"
    assert len(payload["predictions"]) == 2 and payload["classes"] == ["benign", "malignant"]
    assert payload["model_version"] == "3"  # SLIPSTREAM_MODEL_VERSION from the container's environment


def test_a_request_without_content_type_is_read_as_json(runtime, cancer: Split) -> None:
    answer = runtime.invoke_endpoint(EndpointName="model", Body=json.dumps(_rows(cancer, 1)))
    assert len(json.loads(answer["Body"].read())["predictions"]) == 1


def test_an_invalid_request_is_a_400_naming_every_problem_not_a_500(runtime, cancer: Split) -> None:
    first, second = _rows(cancer, 2)
    del first["mean radius"]
    second["worst area"] = "large"
    body = json.dumps({"instances": [first, second]})
    error = _model_error(runtime, ContentType="application/json", Body=body)
    assert error["OriginalStatusCode"] == 400
    answer = json.loads(error["OriginalMessage"])
    assert answer["error"] == "invalid request"
    assert {(p["row"], p["field"]) for p in answer["problems"]} == {(0, "mean radius"), (1, "worst area")}
    assert "Received client error (400) from primary" in error["Error"]["Message"]


@pytest.mark.parametrize(
    ("call", "status"),
    [
        ({"ContentType": "application/xml", "Body": "<x/>"}, 415),
        ({"ContentType": "application/json", "Accept": "text/csv", "Body": "[{}]"}, 406),
        ({"ContentType": "text/csv", "Body": "1,2\n"}, 400),
    ],
    ids=["content type", "accept", "csv width"],
)
def test_media_type_problems_are_4xx_json(runtime, call: dict[str, str], status: int) -> None:
    error = _model_error(runtime, **call)
    assert error["OriginalStatusCode"] == status
    assert json.loads(error["OriginalMessage"])["detail"]


def test_an_unknown_endpoint_is_a_validation_error(runtime) -> None:
    with pytest.raises(runtime.exceptions.ValidationError, match="Endpoint nope of account local not found"):
        runtime.invoke_endpoint(EndpointName="nope", Body="[]")


def test_a_body_over_the_serverless_payload_limit_is_refused(runtime) -> None:
    with pytest.raises(runtime.exceptions.ValidationError, match="has oversize body"):
        runtime.invoke_endpoint(EndpointName="model", ContentType="application/json", Body=" " * (MB // 4 + 1))


def test_an_invocation_over_the_timeout_is_a_model_error_with_status_0(runtime) -> None:
    started = time.monotonic()
    with pytest.raises(runtime.exceptions.ModelError, match="invocation timed out") as raised:
        runtime.invoke_endpoint(EndpointName="slow", Body="3")
    assert raised.value.response["OriginalStatusCode"] == 0
    assert time.monotonic() - started < 3  # answered at the limit (1.5 s), not when the container finished (3 s)


def test_invocations_beyond_max_concurrency_are_throttled(hosted, tmp_path: Path) -> None:
    runtime, endpoints = hosted
    gate = endpoints["slow"].gate

    def wait_for_in_flight(count: int) -> None:  # by the runtime's own count, not by the clock: CI is slow
        deadline = time.monotonic() + 10
        while gate.in_flight != count:
            assert time.monotonic() < deadline, f"{gate.in_flight} invocations in flight, expected {count}"
            time.sleep(0.01)

    wait_for_in_flight(0)  # the timed-out request of the previous test may still hold the only slot

    def call(seconds: str) -> str:
        try:
            return runtime.invoke_endpoint(EndpointName="slow", Body=seconds)["Body"].read().decode()
        except runtime.exceptions.ClientError as error:
            return error.response["Error"]["Code"]

    release = tmp_path / "release"
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(call, f"until:{release}")  # in flight until released, not for a guessed time
        wait_for_in_flight(1)
        assert call("0") == "ThrottlingException"
        release.touch()
        assert first.result() == "slept"
    assert call("0") == "slept"  # the slot is free again
