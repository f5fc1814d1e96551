"""The canary's alarms measured on captured traffic (`slipstream canary` on a laptop): the same kinds and
thresholds as its CloudWatch alarms on AWS (cdk/pipeline/canary_alarms.py), in CloudWatch's three states, for
the canary rule (slipstream/canary.py) to decide on. Guardrails and live quality reuse the experiment's and the
monitor's own measurements, so each figure has one definition."""

from __future__ import annotations

import pandas as pd

from slipstream.canary import AlarmState
from slipstream.canary_config import CanaryConfig
from slipstream.experiment.guardrails import guardrails
from slipstream.experiment.outcomes import variant_data
from slipstream.monitoring.quality import quality_by_variant
from slipstream.monitoring.traffic import Traffic

# Live metric per task (slipstream.monitoring.quality) and whether higher is better, as on AWS.
LIVE_METRIC = {"classification": ("accuracy", True), "regression": ("mae", False)}


def canary_alarm_states(
    traffic: Traffic, feedback: pd.DataFrame, settings: CanaryConfig, *, task: str, min_feedback: int
) -> dict[str, AlarmState]:
    """Each watched alarm's state over `traffic` (already limited to the bake). A figure too thin to measure
    (fewer requests than `min_requests`, no error column, too little feedback) is INSUFFICIENT_DATA."""
    rows = traffic.meta.merge(feedback, on=["request_id", "row"], how="left")
    canary = variant_data(
        rows[rows["variant"] == "challenger"], "absolute_error" if task == "regression" else "accuracy"
    )
    rails = guardrails(
        "challenger",
        errors=canary.errors,
        latencies_ms=canary.latencies_ms,
        max_error_rate=settings.max_error_rate,
        max_p95_latency_ms=settings.max_p95_latency_ms,
        min_requests=settings.min_requests,
    )
    by_name = {rail.name: rail for rail in rails}
    measured: dict[str, AlarmState] = {
        "errors": _state(by_name["error_rate"].value, by_name["error_rate"].breached),
        "latency": _state(by_name["p95_latency_ms"].value, by_name["p95_latency_ms"].breached),
        "quality": _quality(traffic, feedback, settings, task=task, min_feedback=min_feedback),
    }
    return {kind: measured[kind] for kind in settings.alarms}


def _quality(
    traffic: Traffic, feedback: pd.DataFrame, settings: CanaryConfig, *, task: str, min_feedback: int
) -> AlarmState:
    metric, higher_is_better = LIVE_METRIC[task]
    found = {
        q.variant: q.metrics.get(metric)
        for q in quality_by_variant(traffic, feedback, task=task, min_feedback=min_feedback)
    }
    champion, canary = found.get("champion"), found.get("challenger")
    if champion is None or canary is None:
        return "INSUFFICIENT_DATA"
    drop = champion - canary if higher_is_better else canary - champion
    return _state(drop, drop > settings.max_quality_drop)


def _state(value: float | None, breached: bool) -> AlarmState:
    if value is None:
        return "INSUFFICIENT_DATA"
    return "ALARM" if breached else "OK"
