"""`[stages.<name>] promote_from` and `retrain`: defaults, and what the whole config refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from slipstream.config import parse_config
from slipstream.errors import ConfigError
from slipstream.promotion_config import promotion_targets, source_stage, trains

MINIMAL = {"data": {"source": "sklearn:iris", "target": "target", "task": "classification"}}


def _config(tmp_path: Path, stages: dict):
    return parse_config({**MINIMAL, "stages": stages}, base_dir=tmp_path, source="slipstream.toml")


def test_defaults_train_in_dev_and_promote_down_the_line(tmp_path: Path) -> None:
    config = _config(tmp_path, {})
    stages = {name: config.stage(name) for name in ("dev", "staging", "prod")}
    assert [source_stage(name, stage) for name, stage in stages.items()] == [None, "dev", "staging"]
    assert [trains(name, stage) for name, stage in stages.items()] == [True, False, False]
    assert promotion_targets("dev", stages) == ["staging"]
    assert promotion_targets("prod", stages) == []


def test_a_stage_may_skip_one_and_retrain_when_configured(tmp_path: Path) -> None:
    config = _config(tmp_path, {"prod": {"promote_from": "dev", "retrain": True}})
    prod = config.stage("prod")
    assert source_stage("prod", prod) == "dev" and trains("prod", prod)
    stages = {name: config.stage(name) for name in ("dev", "staging", "prod")}
    assert promotion_targets("dev", stages) == ["staging", "prod"]


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        ({"dev": {"promote_from": "dev"}}, "stages.dev.promote_from: a stage cannot promote from itself"),
        ({"dev": {"promote_from": "prod"}}, "cycle (dev -> prod -> staging -> dev)"),
        ({"dev": {"retrain": False}}, "stages.dev: retrain = false and no promote_from"),
        ({"staging": {"promote_from": "none", "retrain": False}}, "stages.staging: retrain = false"),
        ({"prod": {"promote_from": "qa"}}, "stages.prod.promote_from"),
    ],
)
def test_bad_sources_are_named(tmp_path: Path, stages: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        _config(tmp_path, stages)
    assert expected in str(error.value) + " ".join(getattr(error.value, "details", []) or [])
