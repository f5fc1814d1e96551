"""`slipstream approve|reject|approvals`: bad input is a message and exit 2, before any AWS call."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from slipstream.cli.main import app


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["reject", "--stage", "prod", "run-1"], "--reason is required to reject"),
        (["reject", "--stage", "prod", "run-1", "--reason", "  "], "--reason is required to reject"),
        (["approve", "--stage", "qa", "run-1"], "--stage 'qa': one of dev, staging, prod"),
        (["approvals", "--stage", "nowhere"], "--stage 'nowhere'"),
    ],
)
def test_bad_input_exits_2_with_a_message(args, said, monkeypatch):
    monkeypatch.setattr("boto3.Session", lambda *a, **k: pytest.fail("no AWS call on bad input"))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert said in result.output and "Traceback" not in result.output
