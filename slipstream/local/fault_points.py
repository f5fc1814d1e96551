"""Named points in a local run where the reliability tests stop it, to kill or interrupt it right there.

Off unless SLIPSTREAM_FAULT_POINT names the point: then the process writes SLIPSTREAM_FAULT_READY (a path) and
sleeps, so a test can send its signal at a known place instead of guessing with timers. "step:<Step>" is the
start of each pipeline step (runner.PIPELINE_STEPS), "run-registered" is after Register, before the summary;
the other three are inside Register (registry.py).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_STEPS = ("ValidateData", "Train", "Evaluate", "QualityGate", "Register")  # runner.PIPELINE_STEPS, asserted there
POINTS = (*(f"step:{step}" for step in _STEPS), "run-started", "version-created", "version-tagged", "run-registered")
_HOLD_SECONDS = 600.0  # longer than any test waits: a loaded machine must not let a held run go on by itself


def reached(point: str) -> None:
    assert point in POINTS, point
    if os.environ.get("SLIPSTREAM_FAULT_POINT") != point:
        return
    ready = os.environ.get("SLIPSTREAM_FAULT_READY")
    if ready:
        Path(ready).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(_HOLD_SECONDS)  # the test's signal arrives meanwhile; if none does, the run goes on
