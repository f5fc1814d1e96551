"""QualityGate: may the challenger replace the champion? A plain function over the evaluation report.

It runs in a Lambda on AWS (followed by a Choice state) and in process locally, so it depends only on the
evaluation JSON written by `training/evaluate.py` and the gate section of the config.
"""

from __future__ import annotations

import math
from typing import Any

from slipstream.config import GateConfig
from slipstream.documents.gate import GateDecision


def _worse_by(value: float, reference: float, higher_is_better: bool) -> float:
    """How much worse `value` is than `reference` (negative when it is better)."""
    return reference - value if higher_is_better else value - reference


def _metric(metrics: dict[str, Any] | None, name: str) -> float | None:
    value = (metrics or {}).get(name)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _behaviour_failures(evaluation: dict[str, Any]) -> list[str]:
    tests = evaluation.get("behaviour", {}).get("tests", [])
    return [
        f"behavioural test failed: {t.get('kind')} '{t.get('name')}': {t.get('detail')}"
        for t in tests
        if not t.get("passed")
    ]


def decide(evaluation: dict[str, Any], gate: GateConfig, *, higher_is_better: bool) -> GateDecision:
    """Apply the absolute threshold, the champion comparison and the behavioural tests; state every reason."""
    metric = gate.metric or ""
    threshold = float(gate.threshold if gate.threshold is not None else math.nan)
    value = _metric(evaluation.get("metrics"), metric)
    champion = _metric(evaluation.get("champion_metrics"), metric)
    rejections: list[str] = []
    passes: list[str] = []
    bar = "at least" if higher_is_better else "at most"

    if value is None:
        rejections.append(f"{metric} could not be computed on the held-out data")
    elif _worse_by(value, threshold, higher_is_better) > 0:
        rejections.append(f"{metric} {value:.4f} misses the threshold: must be {bar} {threshold:.4f}")
    else:
        passes.append(f"{metric} {value:.4f} meets the threshold ({bar} {threshold:.4f})")

    if value is not None and champion is not None:
        drop = _worse_by(value, champion, higher_is_better)
        if drop > gate.max_regression:
            rejections.append(
                f"{metric} {value:.4f} is worse than the champion's {champion:.4f} by {drop:.4f} "
                f"(tolerance {gate.max_regression:.4f}) on the same held-out data"
            )
        else:
            passes.append(f"{metric} {value:.4f} vs champion {champion:.4f}: within tolerance {gate.max_regression}")
    elif evaluation.get("champion_error"):
        passes.append(
            f"the champion could not be scored on this data ({evaluation['champion_error']}): "
            "compared against the threshold only"
        )
    elif champion is None:
        passes.append("no champion yet: compared against the threshold only")

    failures = _behaviour_failures(evaluation)
    if gate.require_behaviour:
        rejections.extend(failures)
    n_tests = len(evaluation.get("behaviour", {}).get("tests", []))
    if not failures:
        passes.append(f"all {n_tests} behavioural tests passed")

    return GateDecision(
        passed=not rejections,
        metric=metric,
        value=value,
        threshold=threshold,
        champion_value=champion,
        reasons=rejections or passes,
    )
