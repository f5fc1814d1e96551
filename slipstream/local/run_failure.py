"""How a local run ends badly: the run folder marked failed whatever the cause (a full disk included), OS errors
told as the file and the cause, and an interrupted Register reported as what the registry really holds."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slipstream.errors import SlipstreamError, excerpt

if TYPE_CHECKING:
    from slipstream.local.run_state import RunState

FAILED_FILE = "FAILED.json"
RESERVE_FILE = ".failure-reserve"  # space kept back so FAILED.json can be written on a full disk
RESERVE_BYTES = 64 * 1024
STEP_FILE = ".step"  # the step under way, so a run killed outright can be marked failed at that step
KILLED = "the run was killed (kill -9 or a crash): the next run found its folder unfinished"
_DISK_FULL = ("database or disk is full", "no space left on device")


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM turned into it) during a run; `outcome` says what the registry holds afterwards."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class OSFailure(SlipstreamError):
    """The operating system refused a read or write: a full disk, a permission, a missing folder."""


def reserve_space(run_dir: Path) -> None:
    # Written with real bytes, not a sparse seek: a full disk must be found now, and the space must be held.
    (run_dir / RESERVE_FILE).write_bytes(b"\0" * RESERVE_BYTES)


def release_reserve(run_dir: Path) -> None:
    with contextlib.suppress(OSError):
        (run_dir / RESERVE_FILE).unlink()


def as_user_error(error: Exception, registry_uri: str | None = None) -> Exception:
    """An OSError anywhere in the chain (MLflow and SQLAlchemy wrap it) as the file and the cause; SQLite's
    own "disk is full" (not an OSError) as the registry database that could not be written."""
    if isinstance(error, SlipstreamError):
        return error  # already says what is wrong, whatever it was raised from
    found = _os_error_in(error)
    if found is not None:
        where = found.filename or "a file"
        cause = found.strerror or os.strerror(found.errno or 0) or type(found).__name__
        hint = ["free some space and run again"] if found.errno == errno.ENOSPC else []
        return OSFailure(f"could not write or read {excerpt(str(where))}: {cause}", details=hint)
    if any(text in str(error).lower() for text in _DISK_FULL):
        first_line = str(error).strip().splitlines()[0]  # SQLAlchemy appends the whole SQL statement
        database = registry_uri.removeprefix("sqlite:///") if registry_uri else "the registry database"
        return OSFailure(
            f"could not write {excerpt(database)}: the disk is full ({excerpt(first_line)})",
            details=["free some space and run again"],
        )
    return error


def _os_error_in(error: BaseException | None) -> OSError | None:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OSError) and not isinstance(error, ConnectionError | TimeoutError):
            return error
        seen.add(id(error))
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return None


def mark_failed(state: RunState, step: str, error: BaseException) -> None:
    """FAILED.json in the run folder, and the folder renamed so nothing mistakes it for a finished run."""
    state.run_dir = mark_folder_failed(state.run_dir, step, error)


def mark_folder_failed(run_dir: Path, step: str, error: BaseException) -> Path:
    release_reserve(run_dir)
    message = error.message if isinstance(error, SlipstreamError) else f"{type(error).__name__}: {error}"
    payload: dict[str, Any] = {"step": step, "error": excerpt(message)}
    if isinstance(error, SlipstreamError) and error.details:
        payload["details"] = [excerpt(d) for d in error.details]
    with contextlib.suppress(OSError):  # the reserve makes room; should even that fail, the rename still marks it
        (run_dir / FAILED_FILE).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    failed = run_dir.with_name(run_dir.name + ".failed")
    try:
        shutil.move(run_dir, failed)
    except OSError:
        return run_dir
    return failed


def note_step(run_dir: Path, step: str) -> None:
    (run_dir / STEP_FILE).write_text(step, encoding="utf-8")


def clear_step(run_dir: Path) -> None:
    """A finished run has no step under way: its folder holds the same files as a finished AWS run's."""
    (run_dir / STEP_FILE).unlink(missing_ok=True)


def mark_abandoned(state_path: Path) -> list[str]:
    """Mark failed every run folder a killed run left unfinished (no summary, not marked); call it holding the
    run lock, when no run can still be writing one. Returns what it marked, for the run's "repaired" notes."""
    notes = []
    for folder in sorted((state_path / "runs").glob("*")):
        if not folder.is_dir() or folder.name.endswith(".failed") or (folder / "summary.json").is_file():
            continue
        try:
            step = (folder / STEP_FILE).read_text(encoding="utf-8").strip() or "ValidateData"
        except OSError:
            step = "ValidateData"  # killed before its first step began
        mark_folder_failed(folder, step, SlipstreamError(KILLED))
        notes.append(f"run {folder.name}: {KILLED} (during {step}), marked failed")
    return notes


def interrupted_outcome(state: RunState) -> str:
    """What this run left in the registry, said plainly, after marking anything it left half-done."""
    registry = state.outputs.get("registry")
    run_id = getattr(registry, "active_run_id", None)
    if registry is None or run_id is None:
        return "nothing was registered; the champion is unchanged."
    from slipstream.local.registry_repair import repair, versions_of

    repair(registry)  # this run's own pending MLflow run and version, under the lock it still holds
    versions = versions_of(registry, run_id)
    if not versions:
        return "nothing was registered (its MLflow run is ended FAILED); the champion is unchanged."
    number = str(versions[0].version)
    info = registry.by_version(number)
    if info is not None and info.complete:
        return f"version {number} was registered completely (staging: {info.tags.get('staging')})."
    return (
        f"version {number} was created but not completed: it is marked incomplete and never staged; "
        "the champion is unchanged."
    )
