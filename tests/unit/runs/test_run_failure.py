"""OS errors told as the file and the cause, however deeply wrapped; messages bounded; run folders marked."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from slipstream.errors import SlipstreamError, excerpt
from slipstream.local.run_failure import FAILED_FILE, OSFailure, as_user_error, mark_failed, reserve_space
from slipstream.local.run_state import RunState


def _enospc(filename: str) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), filename)


def test_an_os_error_wrapped_by_a_library_names_the_file_and_the_cause() -> None:
    try:
        try:
            raise _enospc("/state/mlartifacts/x/model.joblib")
        except OSError as inner:
            raise RuntimeError("MlflowException: failed to log artifact") from inner
    except RuntimeError as outer:
        told = as_user_error(outer)
    assert isinstance(told, OSFailure)
    assert told.message == "could not write or read /state/mlartifacts/x/model.joblib: No space left on device"


def test_sqlite_s_disk_full_is_told_as_a_full_disk() -> None:
    error = RuntimeError("(sqlite3.OperationalError) database or disk is full\n[SQL: CREATE TABLE ...]")
    told = as_user_error(error, "sqlite:////state/mlflow.db")
    assert isinstance(told, OSFailure)
    assert (
        told.message
        == "could not write /state/mlflow.db: the disk is full ((sqlite3.OperationalError) database or disk is full)"
    )


def test_a_user_error_raised_from_an_os_error_keeps_its_own_message() -> None:
    try:
        try:
            raise BlockingIOError(errno.EAGAIN, "busy")
        except BlockingIOError:
            raise SlipstreamError("another run holds the lock") from None
    except SlipstreamError as error:
        assert as_user_error(error) is error


def test_any_bug_stays_a_bug() -> None:
    error = ValueError("a bug")
    assert as_user_error(error) is error


def test_messages_quote_at_most_an_excerpt() -> None:
    error = SlipstreamError("label " + "x" * 10_000_000, details=["y" * 10_000_000] * 500)
    assert len(error.message) < 1_500 and "more characters" in error.message
    assert len(error.details) == 51 and all(len(d) < 700 for d in error.details)
    assert excerpt("short") == "short"


def test_a_run_folder_is_marked_failed_even_when_nothing_more_can_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    reserve_space(run_dir)
    state = RunState(config=None, run_id="r1", run_dir=run_dir)  # type: ignore[arg-type]
    mark_failed(state, "Train", OSFailure("could not write x: No space left on device"))
    assert state.run_dir.name == "r1.failed" and not (state.run_dir / ".failure-reserve").exists()
    assert json.loads((state.run_dir / FAILED_FILE).read_text())["step"] == "Train"

    other = tmp_path / "runs" / "r2"
    other.mkdir()
    monkeypatch.setattr(Path, "write_text", lambda *_a, **_k: (_ for _ in ()).throw(_enospc("FAILED.json")))
    second = RunState(config=None, run_id="r2", run_dir=other)  # type: ignore[arg-type]
    mark_failed(second, "Train", _enospc("x"))
    assert second.run_dir.name == "r2.failed"  # the rename still marks it
