"""A supervised child's restart policy, on a process that exits at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from slipstream.errors import SlipstreamError
from slipstream.local.serving.child import CRASH_WINDOW, Child


def _crashed(child: Child) -> None:
    child.spawn()
    assert child.process is not None
    child.process.wait(timeout=10)
    assert child.died()


def test_restarts_back_off_and_the_fifth_crash_within_the_window_stops_serve(tmp_path: Path) -> None:
    child = Child("api-0", ["-c", "import sys; print('bad port'); sys.exit(3)"], {}, tmp_path / "api-0.log")
    delays = []
    for now in (0.0, 1.0, 2.0, 3.0):
        _crashed(child)
        message = child.schedule_restart(now)
        assert not child.died() and not child.due(now)  # reported once; restarted only after the backoff
        delays.append(float(re.search(r"in ([\d.]+)s", message).group(1)))  # type: ignore[union-attr]
        assert message.startswith("api-0 exited with code 3; restarting") and str(tmp_path / "api-0.log") in message
    assert delays == [0.5, 1.0, 2.0, 4.0]
    _crashed(child)
    with pytest.raises(SlipstreamError) as raised:
        child.schedule_restart(4.0)
    assert raised.value.message == "api-0 exited with code 3: it crashed 5 times within 60s, so serve stops"
    assert raised.value.details[0] == f"log: {tmp_path / 'api-0.log'}" and "bad port" in raised.value.details


def test_crashes_older_than_the_window_are_forgotten(tmp_path: Path) -> None:
    child = Child("endpoint", ["-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"], {}, tmp_path / "e.log")
    for index in range(8):
        _crashed(child)
        message = child.schedule_restart(index * (CRASH_WINDOW / 4 + 1))  # 4 within any 60 s
        assert "was killed by SIGKILL" in message
    assert len(child.crashes) == 4
