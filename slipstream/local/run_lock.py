"""One `slipstream run` at a time per state directory: an flock on `<state>/.lock`, held for the whole run, and
by every other command that changes the registry's aliases (`experiment promote|stop`, `canary check`).

Two runs on one state directory would both gate against the same champion and the last to finish would take
the alias; on a fresh directory they would also race MLflow's schema migration. The lock file records who holds
it (pid, start time, command) so the refusal can say so. The kernel drops an flock when its holder dies, even by
kill -9, so a stale lock file never blocks anyone: only a live holder does.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from slipstream.errors import SlipstreamError

LOCK_FILE = ".lock"


class StateLocked(SlipstreamError):
    """Another run holds the state directory's lock."""

    exit_code = 9  # distinct from every other `slipstream run` exit code (docs/pipeline.md)


@contextmanager
def state_lock(state_path: Path, *, wait: bool = False, poll_seconds: float = 0.2) -> Iterator[Path]:
    """Hold `<state>/.lock` for the block. Without `wait` a held lock raises StateLocked at once, naming the
    holder; with it, block until the holder finishes (or dies)."""
    state_path.mkdir(parents=True, exist_ok=True)
    path = state_path / LOCK_FILE
    with path.open("a+", encoding="utf-8") as handle:
        _acquire(handle, path, wait=wait, poll_seconds=poll_seconds)
        try:
            _write_holder(handle)
            yield path
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _acquire(handle: IO[str], path: Path, *, wait: bool, poll_seconds: float) -> None:
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if not wait:
                raise StateLocked(
                    f"another slipstream command is changing {path.parent}: {holder_text(path)}",
                    details=["wait for it to finish, or pass --wait to queue behind it"],
                ) from None
            time.sleep(poll_seconds)  # polling, not a blocking flock: Ctrl-C stays immediate


def _write_holder(handle: IO[str]) -> None:
    handle.seek(0)
    handle.truncate(0)
    holder = {
        "pid": os.getpid(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv)[:200],
    }
    handle.write(json.dumps(holder))
    handle.flush()


def holder_text(path: Path) -> str:
    """Who holds the lock, as the holder wrote it (it may be mid-write: then say so rather than guess)."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {holder['pid']}, started {holder['started_at']} ({holder['command']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "its holder is starting up"
