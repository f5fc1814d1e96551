"""`slipstream run --engine stepfunctions`: the user-facing way to run the synthesized pipeline on a laptop.
The runs are conftest's `cli_runs` (shared with test_saved_account.py): its first is a run in a fresh folder."""

from __future__ import annotations

import pytest

from slipstream import layout
from tests.run_folders import folder_files, pipeline_files
from tests.statemachine.conftest import STATEMACHINE_GROUP

pytestmark = [STATEMACHINE_GROUP, pytest.mark.slow]


def test_run_with_the_stepfunctions_engine_prints_each_state_and_the_summary(cli_runs):
    code, output = cli_runs.first
    assert code == 0, output
    lines = output.splitlines()
    for state in ("ValidateData", "Train", "Evaluate", "QualityGate", "Register", "SmokeTest", "Deployed"):
        assert any(line.startswith("✓") and f" {state} " in line for line in lines), state
    assert "Quality gate: PASSED on roc_auc" in output  # the default engine's summary
    assert "SUCCEEDED" in output and "(Approved)" in output
    (first,) = cli_runs.first_sfn_runs
    # Artifacts copied back from the emulated S3.
    assert (cli_runs.folder / ".slipstream" / "sfn-runs" / first / "evaluation" / "evaluation.json").is_file()


def test_both_engines_write_the_same_run_folder(cli_runs):
    """The emulated bucket's runs/<run id>/, copied back, and the default engine's run folder: the same paths,
    which are the layout's."""
    code, output = cli_runs.local
    assert code == 0, output
    (first,) = cli_runs.first_sfn_runs
    aws_run = cli_runs.folder / ".slipstream" / "sfn-runs" / first
    (local_run,) = (cli_runs.folder / ".slipstream" / "runs").iterdir()
    assert folder_files(aws_run) == folder_files(local_run) == pipeline_files(sorted(layout.run_files("any")))
