"""The canary rule (slipstream/canary.py): the one function both runtimes decide with."""

from __future__ import annotations

import pytest

from slipstream.canary import canary_verdict

WATCHED = ["errors", "latency", "quality"]


def verdict(states, elapsed, bake=60):
    return canary_verdict(states, watched=WATCHED, elapsed_minutes=elapsed, bake_minutes=bake)


def test_quiet_alarms_keep_baking_until_the_bake_ends_then_promote():
    quiet = {"errors": "OK", "latency": "INSUFFICIENT_DATA", "quality": "INSUFFICIENT_DATA"}
    assert verdict(quiet, 55).action == "continue"
    promoted = verdict(quiet, 60)
    assert promoted.action == "promote" and "ended clean" in promoted.reason


@pytest.mark.parametrize("elapsed", [5, 60, 90])
def test_any_watched_alarm_in_alarm_rolls_back_whenever_it_fires(elapsed):
    result = verdict({"errors": "OK", "latency": "ALARM", "quality": "OK"}, elapsed)
    assert result.action == "roll_back" and result.firing == ["latency"]
    assert "latency" in result.reason


def test_an_unwatched_alarm_does_not_count():
    result = canary_verdict(
        {"errors": "OK", "quality": "ALARM"}, watched=["errors"], elapsed_minutes=60, bake_minutes=60
    )
    assert result.action == "promote"


def test_a_missing_alarm_rolls_back_rather_than_promoting_unwatched():
    result = verdict({"errors": "OK", "latency": "OK", "quality": None}, 60)
    assert result.action == "roll_back" and result.unknown == ["quality"]
