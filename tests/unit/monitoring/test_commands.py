"""`slipstream notify --test`: posts to the webhook in the environment, or says how to configure one."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from slipstream.cli.main import app

CONFIG = 'name = "churn"\n[data]\nsource = "x.csv"\ntarget = "y"\ntask = "classification"\n'


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SLIPSTREAM_SLACK_WEBHOOK_URL", raising=False)
    path = tmp_path / "slipstream.toml"
    path.write_text(CONFIG + '[monitoring]\nrunbook_url = "https://git.example/runbook.md"\n', encoding="utf-8")
    return path


def test_without_a_webhook_it_says_exactly_how_to_configure_one(config: Path) -> None:
    result = CliRunner().invoke(app, ["notify", "--test", "--config", str(config)])
    assert result.exit_code == 2
    assert "SLIPSTREAM_SLACK_WEBHOOK_URL is not set" in result.output
    assert "export SLIPSTREAM_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/" in result.output
    assert "create-secret --name churn/slack-webhook" in result.output


def test_test_message_reaches_the_webhook(config: Path, slack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLIPSTREAM_SLACK_WEBHOOK_URL", slack.url)
    result = CliRunner().invoke(app, ["notify", "--test", "--config", str(config)])
    assert result.exit_code == 0, result.output
    (payload,) = slack.received
    assert "Test message from `slipstream notify` for churn" in payload["text"]
    assert payload["blocks"][-1]["elements"][0]["url"] == "https://git.example/runbook.md#drift-above-threshold"


def test_slack_refusing_the_message_is_an_error(config: Path, slack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLIPSTREAM_SLACK_WEBHOOK_URL", slack.url)
    slack.statuses = [403]
    result = CliRunner().invoke(app, ["notify", "--test", "--config", str(config)])
    assert result.exit_code == 1 and "Slack answered 403" in result.output
