"""SmokeTest: does the deployed model answer well-formed predictions for inputs the contract says are valid?

Runs after every deployment: on AWS the champion's goes through the front door (API Gateway -> predict Lambda
-> endpoint, see front_door.py) and must be answered by the version just deployed; a challenger's or a
canary's goes to its own endpoint, which the API does not route to yet. Locally `slipstream serve` runs the
same test through its own front door before it says it is ready. Examples come from the data contract and the
baseline statistics: a typical row (means / most frequent category), plus the config's minimum-functionality
cases, whose expected label (classification) or range (regression) must come back. Any failure means: roll
back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slipstream.config import MinimumCase
from slipstream.contract import Contract, Feature
from slipstream.documents.smoke import SmokeResult

JSON = "application/json"
# What a transport answers: (HTTP status, parsed JSON body or None, a short description of the body)
Answer = tuple[int, Any, str]
Post = Callable[[dict[str, Any]], Answer]


@dataclass(frozen=True)
class Expectation:
    """What one example's prediction must be, beyond well-formed: a label, a range, or anything."""

    label: str | int | float | None = None
    low: float | None = None
    high: float | None = None

    @classmethod
    def of(cls, case: MinimumCase, task: str) -> Expectation:
        if task == "classification":
            return cls(label=case.expected)
        return cls(low=case.expected_min, high=case.expected_max)

    def problem(self, value: Any) -> str | None:
        if self.label is not None and str(value) != str(self.label):
            return f"expected {self.label!r}, got {value!r}"
        if self.low is not None and value < self.low:
            return f"expected at least {self.low}, got {value!r}"
        if self.high is not None and value > self.high:
            return f"expected at most {self.high}, got {value!r}"
        return None


ANY = Expectation()


def typical_row(contract: Contract, baseline: dict[str, Any] | None) -> dict[str, Any]:
    """One valid request row: each feature's mean (or mid-range) / most frequent category."""
    stats = (baseline or {}).get("features", {})
    return {f.name: _typical(f, stats.get(f.name, {})) for f in contract.features}


def _typical(feature: Feature, stats: dict[str, Any]) -> Any:
    if feature.kind == "categorical":
        frequencies = stats.get("frequencies") or {}
        return max(frequencies, key=lambda c: frequencies[c]) if frequencies else (feature.categories or [""])[0]
    mean = stats.get("mean")
    if isinstance(mean, int | float) and math.isfinite(mean):
        return float(mean)
    low, high = feature.min or 0.0, feature.max if feature.max is not None else feature.min or 0.0
    return (low + high) / 2


def build_examples(
    contract: Contract, baseline: dict[str, Any] | None, cases: list[MinimumCase]
) -> tuple[list[dict[str, Any]], list[Expectation]]:
    """Rows to send, and what each must get back."""
    typical = typical_row(contract, baseline)
    rows: list[dict[str, Any]] = [typical]
    expected = [ANY]
    for case in cases:
        rows.append({**typical, **case.instance})
        expected.append(Expectation.of(case, contract.task))
    return rows, expected


def smoke_test(
    post: Post,
    target: str,
    contract: Contract,
    baseline: dict[str, Any] | None = None,
    cases: list[MinimumCase] | None = None,
    *,
    model_version: str | None = None,
) -> SmokeResult:
    """POST every example once through `post` (one request: {"instances": rows}); report every problem found.
    `target` names what was called (URL or endpoint) in the result; with `model_version`, the answer must
    come from that version (the API names it; an endpoint says it in its body)."""
    rows, expected = build_examples(contract, baseline, cases or [])
    try:
        status, body, text = post({"instances": rows})
    except Exception as error:  # any failure to get an answer is a failed smoke test, not a crash
        problem = f"calling {target} failed: {type(error).__name__}: {error}"
        return SmokeResult(passed=False, endpoint=target, examples=len(rows), problems=[problem])
    if status != 200:
        problems = [f"{target} answered HTTP {status}: {text[:300]}"]
    else:
        problems = check_predictions(body, contract, expected) + _version_problems(body, model_version)
    return SmokeResult(passed=not problems, endpoint=target, examples=len(rows), problems=problems)


def endpoint_post(runtime: Any, endpoint_name: str) -> Post:
    """The transport of a test that calls a SageMaker endpoint directly (challenger, canary)."""

    def post(body: dict[str, Any]) -> Answer:
        response = runtime.invoke_endpoint(
            EndpointName=endpoint_name, ContentType=JSON, Accept=JSON, Body=json.dumps(body)
        )
        raw = response["Body"].read()
        return 200, json.loads(raw), raw[:300].decode("utf-8", errors="replace")

    return post


def _version_problems(body: Any, model_version: str | None) -> list[str]:
    if model_version is None or not isinstance(body, dict):
        return []
    answered = body.get("model_version")
    if str(answered) != str(model_version):
        return [f"answered by model version {answered!r}, not the version just deployed ({model_version})"]
    if body.get("variant", "champion") != "champion":
        return [f"answered by the {body['variant']}, not the champion"]
    return []


def check_predictions(body: Any, contract: Contract, expected: list[Expectation]) -> list[str]:
    predictions = body.get("predictions") if isinstance(body, dict) else None
    if not isinstance(predictions, list) or len(predictions) != len(expected):
        return [f"expected {len(expected)} predictions under 'predictions', got {str(body)[:200]}"]
    problems = []
    labels = set(contract.labels or [])
    for i, (value, want) in enumerate(zip(predictions, expected, strict=True)):
        if contract.task == "classification" and str(value) not in labels:
            problems.append(f"row {i}: {value!r} is not one of the contract's labels {sorted(labels)}")
        elif contract.task == "regression" and not _finite(value):
            problems.append(f"row {i}: {value!r} is not a finite number")
        elif (problem := want.problem(value)) is not None:
            problems.append(f"row {i}: {problem}")
    return problems


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
