"""The state directory's lock: a second holder is refused at once (naming the first) or waits with --wait."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from slipstream.local.run_lock import StateLocked, state_lock

HOLD = """
import sys, time
from pathlib import Path
from slipstream.local.run_lock import state_lock
with state_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(state: Path, seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_a_second_run_is_refused_naming_the_holder(tmp_path: Path) -> None:
    holder = _holder(tmp_path, 30)
    try:
        with pytest.raises(StateLocked) as raised, state_lock(tmp_path):
            pass
        assert f"pid {holder.pid}" in raised.value.message and "started 20" in raised.value.message
        assert raised.value.exit_code == 9 and "--wait" in raised.value.details[0]
    finally:
        holder.kill()
        holder.wait()


def test_waiting_takes_the_lock_once_the_holder_ends(tmp_path: Path) -> None:
    holder = _holder(tmp_path, 1.0)
    started = time.monotonic()
    with state_lock(tmp_path, wait=True, poll_seconds=0.05):
        waited = time.monotonic() - started
    holder.wait()
    assert 0.5 < waited < 60  # the holder is a fresh interpreter: slow to start on a loaded machine


def test_a_holder_killed_with_sigkill_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = _holder(tmp_path, 30)
    holder.kill()
    holder.wait()
    with state_lock(tmp_path) as path:  # the kernel released the flock with the process
        assert str(os.getpid()) in path.read_text()


def test_the_lock_is_released_after_the_block(tmp_path: Path) -> None:
    with state_lock(tmp_path):
        pass
    with state_lock(tmp_path):
        pass
