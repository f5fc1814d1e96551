"""The input catalogue against the predict handler: every JSON edge is a 400 naming the fault, never a 500,
and no answer quotes more than a bounded excerpt of what was sent."""

from __future__ import annotations

import json

import pytest

from lambdas.predict.json_body import EXCERPT, MAX_DEPTH, loads
from tests.input_catalogue import catalogue
from tests.unit.serving.conftest import ROW, make_call

CASES = catalogue(ROW)


@pytest.fixture
def roomy(service):
    """The handler with room for the catalogue's bodies (up to ~20 kB), so each meets the check it is about."""
    return make_call(service, max_body_bytes=100_000)


@pytest.mark.parametrize(("case", "path", "body", "reason"), CASES, ids=[c[0] for c in CASES])
def test_every_json_edge_is_a_400_with_a_bounded_reason(roomy, runtime, case, path, body, reason) -> None:
    status, _, answer = roomy("POST", path, body)
    assert status == 400, answer
    assert answer["request_id"] and answer["detail"]
    assert any(reason in problem["reason"] for problem in answer["problems"]), answer
    assert len(json.dumps(answer)) < 4 * EXCERPT + 400  # nothing sent is echoed in full
    assert not runtime.calls


def test_the_parser_accepts_what_a_request_is() -> None:
    assert loads('{"instances": [{"a": 1, "b": null, "c": "x"}]}') == {"instances": [{"a": 1, "b": None, "c": "x"}]}
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) == json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert loads('{"a": {"a": 1}}') == {"a": {"a": 1}}  # the same key in two objects is no duplicate


def test_a_duplicate_key_never_resolves_to_the_last_value(call) -> None:
    body = '{"instances": [{"monthly spend": 1, "monthly spend": 2, "tenure": 1, "plan": "pro"}]}'
    status, _, answer = call("POST", "/predict", body)
    assert status == 400 and "'monthly spend'" in answer["problems"][0]["reason"]
