"""One function for both runtimes' run folders, so a test can hold them to the same layout."""

from __future__ import annotations

from pathlib import Path

from slipstream import layout

JOB = "<training job>"


def pipeline_files(relative_paths: list[str]) -> set[str]:
    """The pipeline's files among a run folder's relative paths: without the local-only entries, and with the
    training job's name (which differs between runs and runtimes) replaced by JOB."""
    found = set()
    for relative in relative_paths:
        if any(relative == only or relative.startswith(only) for only in layout.LOCAL_ONLY):
            continue
        if relative.startswith(layout.MODEL_OUTPUT):
            _, rest = relative.removeprefix(layout.MODEL_OUTPUT).split("/", 1)
            relative = f"{layout.MODEL_OUTPUT}{JOB}/{rest}"
        found.add(relative)
    return found


def folder_files(folder: Path) -> set[str]:
    return pipeline_files([p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()])
