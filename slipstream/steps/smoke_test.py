"""SmokeTest: does the live endpoint answer well-formed predictions for inputs the contract says are valid?

Runs after every deployment (Lambda on AWS, in process locally). Examples come from the data contract and
the baseline statistics: a typical row (means / most frequent category), plus the config's
minimum-functionality cases, whose expected labels must come back. Any failure means: roll back.
The SageMaker Runtime client is a parameter, so a local endpoint server or a stub can stand in.
"""

from __future__ import annotations

import json
import math
from typing import Any

from slipstream.config import MinimumCase
from slipstream.contract import Contract, Feature
from slipstream.documents.smoke import SmokeResult

JSON = "application/json"


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
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Rows to send, and the label each must get (None: any well-formed prediction will do)."""
    typical = typical_row(contract, baseline)
    rows: list[dict[str, Any]] = [typical]
    expected: list[Any] = [None]
    for case in cases:
        rows.append({**typical, **case.instance})
        expected.append(case.expected if contract.task == "classification" else None)
    return rows, expected


def smoke_test(
    runtime: Any,
    endpoint_name: str,
    contract: Contract,
    baseline: dict[str, Any] | None = None,
    cases: list[MinimumCase] | None = None,
) -> SmokeResult:
    """Invoke `endpoint_name` once with every example; report every problem found."""
    rows, expected = build_examples(contract, baseline, cases or [])
    try:
        response = runtime.invoke_endpoint(
            EndpointName=endpoint_name, ContentType=JSON, Accept=JSON, Body=json.dumps({"instances": rows})
        )
        body = json.loads(response["Body"].read())
    except Exception as error:  # any failure to get a JSON answer is a failed smoke test, not a crash
        problem = f"invoking {endpoint_name} failed: {type(error).__name__}: {error}"
        return SmokeResult(passed=False, endpoint=endpoint_name, examples=len(rows), problems=[problem])
    problems = check_predictions(body, contract, expected)
    return SmokeResult(passed=not problems, endpoint=endpoint_name, examples=len(rows), problems=problems)


def check_predictions(body: Any, contract: Contract, expected: list[Any]) -> list[str]:
    predictions = body.get("predictions") if isinstance(body, dict) else None
    if not isinstance(predictions, list) or len(predictions) != len(expected):
        return [f"expected {len(expected)} predictions under 'predictions', got {str(body)[:200]}"]
    problems = []
    labels = set(contract.labels or [])
    for i, (value, want) in enumerate(zip(predictions, expected, strict=True)):
        if contract.task == "classification" and str(value) not in labels:
            problems.append(f"row {i}: {value!r} is not one of the contract's labels {sorted(labels)}")
        elif contract.task == "regression" and not (isinstance(value, int | float) and math.isfinite(value)):
            problems.append(f"row {i}: {value!r} is not a finite number")
        elif want is not None and str(value) != str(want):
            problems.append(f"row {i}: expected {want!r}, got {value!r}")
    return problems
