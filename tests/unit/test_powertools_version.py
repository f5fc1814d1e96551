"""The Powertools layer every Lambda gets (stage `powertools_version`) is the release the tests ran with: the
aws-lambda-powertools pin in requirements.lock. Bumping one without the other ships code to a library it
was never tested against."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from slipstream.config import load_config
from slipstream.stage_config import STAGE_NAMES, StageConfig

REPO = Path(__file__).resolve().parents[2]


def locked_version(lock: str, package: str) -> str:
    """`package==<version>` in a uv/pip-compile lock file."""
    found = re.findall(rf"^{re.escape(package)}==(\S+)", lock, flags=re.MULTILINE)
    assert len(found) == 1, f"expected one {package} pin in requirements.lock, found {found}"
    return found[0]


LOCKED = locked_version((REPO / "requirements.lock").read_text(encoding="utf-8"), "aws-lambda-powertools")


def test_the_default_layer_is_the_locked_release():
    assert StageConfig().powertools_version == LOCKED


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_every_stage_of_the_bundled_config_uses_the_locked_release(stage):
    config = load_config(REPO / "slipstream.toml")
    assert config.stage(stage).powertools_version == LOCKED, (
        f"[stages.{stage}] powertools_version differs from aws-lambda-powertools=={LOCKED} in requirements.lock"
    )


def test_the_lock_reader_finds_the_pin_and_only_the_pin():
    lock = "aws-lambda-powertools==3.37.0\n    # via slipstream\naws-lambda-powertools-extra==9.9.9\n"
    assert locked_version(lock, "aws-lambda-powertools") == "3.37.0"
