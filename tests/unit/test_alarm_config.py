"""`[monitoring.alarms]` and `[retraining]`: defaults derived from the gate, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from slipstream.config import parse_config
from slipstream.errors import ConfigError

DATA = {"source": "x.csv", "target": "y"}


def config(task: str = "classification", **sections):
    return parse_config({"data": {**DATA, "task": task}, **sections}, base_dir=Path("."))


def test_the_default_gate_is_not_a_live_metric_so_there_is_no_quality_floor_until_one_is_set():
    alarms = config().monitoring.alarms
    assert (alarms.quality_metric, alarms.quality_floor) == ("accuracy", None)
    assert config("regression").monitoring.alarms.quality_metric == "mae"
    assert config().retraining.on == [] and config().retraining.cooldown_hours == 24  # opt-in


def test_a_gate_on_a_live_metric_gives_the_floor():
    gated = config("regression", gate={"metric": "rmse", "threshold": 40.0}).monitoring.alarms
    assert (gated.quality_metric, gated.quality_floor) == ("rmse", 40.0)
    own = config(gate={"metric": "accuracy", "threshold": 0.8}, monitoring={"alarms": {"quality_floor": 0.85}})
    assert own.monitoring.alarms.quality_floor == 0.85  # an explicit floor wins


def test_a_quality_metric_of_the_other_task_is_refused_by_name():
    with pytest.raises(ConfigError) as error:
        config("regression", monitoring={"alarms": {"quality_metric": "accuracy"}})
    assert "monitoring.alarms.quality_metric 'accuracy' is not a live regression metric" in str(error.value.details)


def test_retraining_on_quality_needs_a_floor_and_retraining_needs_capture():
    with pytest.raises(ConfigError) as error:
        config(retraining={"on": ["quality"]})
    assert "set [monitoring.alarms] quality_floor" in str(error.value.details)
    with pytest.raises(ConfigError) as error:
        config(retraining={"on": ["drift"]}, serving={"capture": False})
    assert "needs captured traffic" in str(error.value.details)
    with pytest.raises(ConfigError) as error:
        config(retraining={"on": ["calendar"]})
    assert "retraining.on.0" in str(error.value.details)
