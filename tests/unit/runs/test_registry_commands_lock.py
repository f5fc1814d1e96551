"""The commands that move the registry's aliases take the state directory's lock `slipstream run` holds: while
a run holds it they refuse with exit 9 naming the holder, or with --wait queue behind it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from slipstream.config import load_config
from slipstream.local.run_lock import state_lock
from tests.integration.pipeline_helpers import cli, customers, project_config, write_project

COMMANDS = [("experiment", "promote"), ("experiment", "stop"), ("canary", "check")]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_project(tmp_path, project_config("churned", "classification", []), customers(rows=50))


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_refused_with_exit_9_while_a_run_holds_the_lock(config: Path, command: tuple[str, str]) -> None:
    with state_lock(load_config(config).state_path):  # as a running `slipstream run` holds it
        code, output = cli(*command, "--config", str(config))
    assert code == 9, output
    told = " ".join(output.split())
    assert "another slipstream command is changing" in told and "--wait" in told, output


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_wait_queues_behind_the_holder(config: Path, command: tuple[str, str]) -> None:
    held, release = threading.Event(), threading.Event()

    def run_holding_the_lock() -> None:
        with state_lock(load_config(config).state_path):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=run_holding_the_lock)
    holder.start()
    held.wait(10)
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    code, output = cli(*command, "--config", str(config), "--wait")
    holder.join()
    assert time.monotonic() - started >= 0.45, output  # it waited for the holder
    assert code not in (0, 9), output  # then ran: nothing to promote, stop or check in an empty state
    assert "another slipstream command" not in output
