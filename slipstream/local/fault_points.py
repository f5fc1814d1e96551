"""Named points inside Register where the reliability tests stop a run, to kill or interrupt it right there.

Off unless SLIPSTREAM_FAULT_POINT names the point: then the process writes SLIPSTREAM_FAULT_READY (a path) and
sleeps, so a test can send its signal at a known place instead of guessing with timers.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

POINTS = ("run-started", "version-created", "version-tagged")
_HOLD_SECONDS = 60.0


def reached(point: str) -> None:
    assert point in POINTS, point
    if os.environ.get("SLIPSTREAM_FAULT_POINT") != point:
        return
    ready = os.environ.get("SLIPSTREAM_FAULT_READY")
    if ready:
        Path(ready).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(_HOLD_SECONDS)  # the test's signal arrives meanwhile; if none does, the run goes on
