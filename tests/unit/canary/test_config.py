"""`gate.promote = "canary"` and `[canary]`: validated with messages that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from slipstream.config import parse_config
from slipstream.errors import ConfigError


def config(**sections):
    raw = {"data": {"source": "sklearn:breast_cancer", "target": "target", "task": "classification"}, **sections}
    return parse_config(raw, base_dir=Path("."))


def test_a_canary_is_served_as_the_challenger_at_its_share():
    cfg = config(gate={"promote": "canary"}, canary={"share": 0.2})
    assert cfg.challenger_weight == 0.2
    assert cfg.canary.alarms == ["errors", "latency", "quality"]


def test_without_canary_the_weight_is_the_experiments():
    assert config(canary={"share": 0.2}).challenger_weight == 0.0


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"canary": {"share": 0.9}}, "canary.share"),
        ({"canary": {"alarms": ["errors", "cpu"]}}, "canary.alarms"),
        ({"canary": {"alarms": ["errors", "errors"]}}, "lists an alarm twice"),
        ({"canary": {"bake_minutes": 5, "check_minutes": 10}}, "the bake would end before the first check"),
        ({"gate": {"promote": "canary"}, "experiment": {"weight": 0.3}}, "canary.share"),
        ({"gate": {"promote": "canary"}, "serving": {"capture": False}}, "needs captured traffic"),
    ],
)
def test_bad_canary_settings_are_named(sections, message):
    with pytest.raises(ConfigError) as error:
        config(**sections)
    assert message in str(error.value)
