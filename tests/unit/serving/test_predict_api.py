"""POST /predict through the powertools resolver: the happy path and every bad input a caller can send."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from tests.unit.serving.conftest import MAX_BODY, MAX_ROWS, ROW


def test_predict_returns_predictions_version_variant_and_request_id(call, runtime) -> None:
    status, _, body = call("POST", "/predict", {"instances": [ROW, {**ROW, "tenure": None}]})
    assert status == 200
    assert body["predictions"] == ["yes", "yes"]
    assert body["probabilities"][0] == {"no": 0.25, "yes": 0.75}
    assert (body["model_version"], body["variant"]) == ("7", "champion")
    assert body["request_id"]
    sent = json.loads(runtime.calls[0]["Body"])
    assert runtime.calls[0]["EndpointName"] == "m-champion"
    assert sent["instances"][1] == {"monthly spend": 42.5, "tenure": None, "plan": "pro"}


J = "application/json"
NAN = '{"instances": [{"monthly spend": NaN, "tenure": 1, "plan": "pro"}]}'
INF = '{"instances": [{"monthly spend": 1, "tenure": -Infinity, "plan": "pro"}]}'


def _row(**changes):
    return {**ROW, **changes}


BAD_INPUTS = [
    # (case, raw body, content type, status, fields the answer must name)
    ("malformed JSON", '{"instances": [', J, 400, ["body"]),
    ("not an object", "[1, 2]", J, 400, ["body"]),
    ("wrong type", {"instances": [_row(tenure="twelve")]}, J, 400, ["instances[0].tenure"]),
    ("bool is no number", {"instances": [_row(tenure=True)]}, J, 400, ["instances[0].tenure"]),
    ("number is no category", {"instances": [_row(plan=3)]}, J, 400, ["instances[0].plan"]),
    ("missing feature", {"instances": [{"tenure": 1, "plan": "pro"}]}, J, 400, ["instances[0].monthly spend"]),
    ("unknown feature", {"instances": [_row(colour="red")]}, J, 400, ["instances[0].colour"]),
    ("NaN", NAN, J, 400, ["instances[0].monthly spend"]),
    ("Infinity", INF, J, 400, ["instances[0].tenure"]),
    ("empty instances", {"instances": []}, J, 400, ["instances"]),
    ("no instances key", {"rows": [ROW]}, J, 400, ["instances", "rows"]),
    ("too many rows", {"instances": [ROW] * (MAX_ROWS + 1)}, J, 400, ["instances"]),
    ("body over the limit", json.dumps({"instances": [ROW], "pad": "x" * MAX_BODY}), J, 413, []),
    ("CSV", "42.5,12,pro", "text/csv", 415, []),
    ("form (curl's default)", json.dumps({"instances": [ROW]}), "application/x-www-form-urlencoded", 415, []),
    ("two rows wrong", {"instances": [_row(tenure="x"), _row(plan=None, extra=1)]}, J, 400,
     ["instances[0].tenure", "instances[1].extra"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "body", "content_type", "status", "fields"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_every_bad_input_is_a_4xx_naming_each_problem(call, runtime, case, body, content_type, status, fields) -> None:
    got, _, answer = call("POST", "/predict", body, content_type=content_type)
    assert got == status, answer
    named = {problem["field"] for problem in answer["problems"]}
    assert set(fields) <= named, answer
    assert all(problem["reason"] for problem in answer["problems"])
    assert answer["error"] and "Traceback" not in json.dumps(answer)
    assert not runtime.calls  # nothing invalid reaches the model


def _client_error(code: str, status: int, **extra) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}, **extra},
        "InvokeEndpoint",
    )


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), 503),
        (_client_error("ThrottlingException", 400), 503),
        (_client_error("ModelNotReadyException", 429), 503),
        (
            ClientError(
                {"Error": {"Code": "ValidationError", "Message": "Endpoint m-champion of account 1 not found."}},
                "InvokeEndpoint",
            ),
            503,
        ),
        (_client_error("ValidationError", 400), 502),  # e.g. an oversize body: not worth a retry
        (
            _client_error(
                "ModelError", 424, OriginalStatusCode=500, OriginalMessage="Traceback (most recent call last)"
            ),
            502,
        ),
        (_client_error("AccessDeniedException", 403), 502),
    ],
    ids=["unreachable", "throttled", "not ready", "no such endpoint", "oversize", "model error", "other"],
)
def test_endpoint_failures_map_to_503_with_retry_after_or_502(call, runtime, error, status) -> None:
    runtime.error = error
    got, headers, answer = call("POST", "/predict", {"instances": [ROW]})
    assert got == status
    assert (headers.get("Retry-After") == "7") == (status == 503)
    assert "Traceback" not in json.dumps(answer) and answer["request_id"]


def test_an_answer_without_predictions_is_a_502(call, runtime) -> None:
    runtime.version = None
    runtime.invoke_endpoint = lambda **_: {"Body": __import__("io").BytesIO(b'{"oops": 1}')}
    assert call("POST", "/predict", {"instances": [ROW]})[0] == 502


def test_health_and_model(call) -> None:
    assert call("GET", "/health")[2]["champion_endpoint"] == "m-champion"
    status, _, model = call("GET", "/model")
    assert status == 200 and [f["name"] for f in model["features"]] == ["monthly spend", "tenure", "plan"]
    assert model["labels"] == ["no", "yes"] and model["challenger"] is None


def test_unknown_route_is_404_without_details(call) -> None:
    assert call("GET", "/nope")[0] == 404


def test_a_validated_request_formats_as_its_size_not_its_values() -> None:
    # Powertools formats the validated request into a debug f-string on every request, debug on or not.
    from lambdas.predict.schema import ServingContract, predict_request_model
    from tests.unit.serving.conftest import CONTRACT

    model = predict_request_model(ServingContract.model_validate(CONTRACT), MAX_ROWS)
    request = model.model_validate({"instances": [ROW, ROW]})
    assert f"{ {'request': request} }" == "{'request': PredictRequest(instances=<2 row(s)>)}"
    assert request.model_dump(by_alias=True)["instances"][1] == ROW  # the values are all still there
    assert model.model_json_schema()["title"] == "PredictRequest"
