"""`slipstream run --engine stepfunctions`: the user-facing way to run the synthesized pipeline on a laptop."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from slipstream.cli.main import app
from tests.statemachine.conftest import REPO, STATEMACHINE_GROUP

pytestmark = [STATEMACHINE_GROUP, pytest.mark.slow]


def test_run_with_the_stepfunctions_engine_prints_each_state_and_the_summary(tmp_path, config):
    shutil.copy(REPO / "slipstream.toml", tmp_path / "slipstream.toml")  # same config: the synthesis is cached
    result = CliRunner().invoke(app, ["run", "--engine", "stepfunctions", "-c", str(tmp_path / "slipstream.toml")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for state in ("ValidateData", "Train", "Evaluate", "QualityGate", "Register", "SmokeTest", "Deployed"):
        assert any(line.startswith("✓") and f" {state} " in line for line in lines), state
    assert "Quality gate: PASSED on roc_auc" in result.output  # the default engine's summary
    assert "SUCCEEDED" in result.output and "(Approved)" in result.output
    runs = list((tmp_path / ".slipstream" / "sfn-runs").iterdir())
    assert (runs[0] / "evaluation" / "evaluation.json").is_file()  # artifacts copied back from the emulated S3
