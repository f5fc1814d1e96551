"""`slipstream run --engine stepfunctions`: the user-facing way to run the synthesized pipeline on a laptop."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from slipstream import layout
from slipstream.cli.main import app
from tests.run_folders import folder_files, pipeline_files
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


def test_both_engines_write_the_same_run_folder(tmp_path):
    """The emulated bucket's runs/<run id>/, copied back, and the default engine's run folder: the same paths,
    which are the layout's."""
    shutil.copy(REPO / "slipstream.toml", tmp_path / "slipstream.toml")
    for engine in ("stepfunctions", "local"):
        result = CliRunner().invoke(app, ["run", "--engine", engine, "-c", str(tmp_path / "slipstream.toml")])
        assert result.exit_code == 0, result.output
    (aws_run,) = (tmp_path / ".slipstream" / "sfn-runs").iterdir()
    (local_run,) = (tmp_path / ".slipstream" / "runs").iterdir()
    assert folder_files(aws_run) == folder_files(local_run) == pipeline_files(sorted(layout.run_files("any")))
