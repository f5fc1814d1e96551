"""The canary's alarms measured on captured traffic (the local side of the rule's inputs)."""

from __future__ import annotations

import pandas as pd

from slipstream.canary_config import CanaryConfig
from slipstream.canary_traffic import canary_alarm_states
from slipstream.monitoring.traffic import Traffic


def traffic(rows: list[dict]) -> Traffic:
    meta = pd.DataFrame(rows)
    return Traffic(features=pd.DataFrame(index=meta.index), meta=meta)


def rows(variant: str, n: int, *, latency: float, prediction: str, start: int = 0) -> list[dict]:
    return [
        {
            "variant": variant,
            "request_id": f"{variant}-{i}",
            "row": 0,
            "prediction": prediction,
            "model_version": "2" if variant == "challenger" else "1",
            "latency_ms": latency,
            "timestamp": "2026-11-01T00:00:00+00:00",
        }
        for i in range(start, start + n)
    ]


def feedback(found: list[dict], truth: str) -> pd.DataFrame:
    return pd.DataFrame([{"request_id": r["request_id"], "row": 0, "ground_truth": truth} for r in found])


SETTINGS = CanaryConfig(max_p95_latency_ms=100, max_quality_drop=0.1, min_requests=20)


def test_a_slow_canary_that_is_often_wrong_fires_latency_and_quality():
    champion = rows("champion", 40, latency=10, prediction="benign")
    canary = rows("challenger", 40, latency=500, prediction="malignant")
    states = canary_alarm_states(
        traffic(champion + canary),
        feedback(champion + canary, "benign"),
        SETTINGS,
        task="classification",
        min_feedback=30,
    )
    assert states == {"errors": "INSUFFICIENT_DATA", "latency": "ALARM", "quality": "ALARM"}


def test_too_little_traffic_or_feedback_is_insufficient_data_never_alarm():
    champion = rows("champion", 40, latency=10, prediction="benign")
    canary = rows("challenger", 5, latency=500, prediction="malignant")
    states = canary_alarm_states(
        traffic(champion + canary), feedback(champion, "benign"), SETTINGS, task="classification", min_feedback=30
    )
    assert states["latency"] == "INSUFFICIENT_DATA" and states["quality"] == "INSUFFICIENT_DATA"


def test_a_healthy_canary_is_ok():
    champion = rows("champion", 40, latency=10, prediction="benign")
    canary = [dict(r, error=False) for r in rows("challenger", 40, latency=20, prediction="benign")]
    states = canary_alarm_states(
        traffic(champion + canary),
        feedback(champion + canary, "benign"),
        SETTINGS,
        task="classification",
        min_feedback=30,
    )
    assert states == {"errors": "OK", "latency": "OK", "quality": "OK"}
