"""What the experiment Lambda tells: CloudWatch metrics (namespace `Slipstream`, EMF via powertools) that the
dashboard's experiment widgets show, and the decision as a notification (the Slack notifier renders it,
slipstream/monitoring/alarm.py `experiment` messages).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slipstream.experiment.result import DECISION_CODES, ExperimentResult

Emit = Callable[[str, str, float, dict[str, str]], None]  # name, unit ("None"/"Count"), value, dimensions


def publish_result(result: ExperimentResult, model: str, emit: Emit) -> int:
    """Emit the result's figures; returns how many data points were emitted."""
    points = 0

    def put(name: str, unit: str, value: float | None, **dimensions: str) -> None:
        nonlocal points
        if value is not None:
            emit(name, unit, float(value), {"Model": model, **dimensions})
            points += 1

    put("ExperimentDecision", "None", DECISION_CODES[result.decision])
    put("ExperimentEffect", "None", result.effect)
    put("ExperimentEffectLower", "None", result.interval.lower if result.interval else None)
    put("ExperimentEffectUpper", "None", result.interval.upper if result.interval else None)
    put("ExperimentPValue", "None", result.p_value)
    put("ExperimentWeight", "None", result.weight)
    put("ExperimentSrmPValue", "None", result.sample_ratio.p_value)
    for variant in result.variants:
        put("ExperimentAssigned", "Count", variant.assigned, Variant=variant.variant)
        put("ExperimentLabelled", "Count", variant.labelled, Variant=variant.variant)
        put("ExperimentMeanOutcome", "None", variant.mean_outcome, Variant=variant.variant)
    return points


def decision_message(
    result: ExperimentResult, *, project: str, stage: str, acted: str, decided_by: str | None, versions: dict
) -> tuple[str, str]:
    """(subject, message) for the notifications topic. `experiment` marks it for the Slack notifier."""
    what = {"promote": "challenger promoted", "stop": "challenger stopped"}.get(acted, result.decision)
    interval = result.interval
    body: dict[str, Any] = {
        "project": project,
        "stage": stage,
        "status": f"experiment: {what}",
        "experiment": {
            "decision": result.decision,
            "action": result.action,
            "acted": acted,
            "decided_by": decided_by,
            "reason": result.reason,
            "metric": result.metric,
            "effect": result.effect,
            "interval": [interval.lower, interval.upper] if interval else None,
            "p_value": result.p_value,
            "champion_version": versions.get("champion"),
            "challenger_version": versions.get("challenger"),
            "labelled": {v.variant: v.labelled for v in result.variants},
            "assigned": {v.variant: v.assigned for v in result.variants},
            "weight": result.weight,
            "guardrails_breached": [f"{g.variant} {g.name}" for g in result.breaches],
        },
    }
    return f"[{project}-{stage}] experiment: {what}"[:100], json.dumps(body)
