"""One supervised serving process: spawned in its own session, stopped with SIGTERM then SIGKILL, restarted
with backoff, and given up on when it keeps crashing."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from slipstream.errors import SlipstreamError
from slipstream.local.parent_death import die_with_parent
from slipstream.local.serving.plan import process_env

MAX_CRASHES = 5  # within CRASH_WINDOW seconds: the child is broken, not unlucky
CRASH_WINDOW = 60.0
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 8.0


def describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


@dataclass
class Child:
    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    crashes: deque[float] = field(default_factory=deque)
    restart_at: float | None = None
    _log: IO[bytes] | None = None

    def spawn(self) -> None:
        self._close_log()
        self._log = self.log_path.open("ab")
        # Its own session: Ctrl-C reaches only `serve`, which stops the children in order, and the child's own
        # children (the model containers) can be killed with it as a group if it dies without cleaning up.
        self.process = subprocess.Popen(
            [sys.executable, *self.args],
            env=process_env(self.env),
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
            preexec_fn=die_with_parent(),  # serve killed by SIGKILL cannot stop its children: the kernel does
        )
        self.restart_at = None

    def died(self) -> bool:
        """True once, when the child has just been found dead (not while a restart is already scheduled)."""
        return self.restart_at is None and self.process is not None and self.process.poll() is not None

    def schedule_restart(self, now: float) -> str:
        """Record the crash and say what happens next; raises when it crashed too often to keep trying."""
        assert self.process is not None
        self._kill_group()  # what it started (model containers) must not outlive it
        self.crashes.append(now)
        while self.crashes and self.crashes[0] < now - CRASH_WINDOW:
            self.crashes.popleft()
        what = f"{self.name} {describe_exit(self.process.returncode)}"
        if len(self.crashes) >= MAX_CRASHES:
            raise SlipstreamError(
                f"{what}: it crashed {len(self.crashes)} times within {CRASH_WINDOW:.0f}s, so serve stops",
                details=[f"log: {self.log_path}", *self.log_tail()],
            )
        delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (len(self.crashes) - 1))
        self.restart_at = now + delay
        return f"{what}; restarting it in {delay:.1f}s (log: {self.log_path})"

    def due(self, now: float) -> bool:
        return self.restart_at is not None and now >= self.restart_at

    def stop_signal(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait_stopped(self, deadline: float) -> None:
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            self._kill_group()
            self.process.wait()
        self._close_log()

    def _kill_group(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):  # nothing left in the group
            os.killpg(self.process.pid, signal.SIGKILL)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 8) -> list[str]:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return [line[:300] for line in text.splitlines()[-lines:]]
