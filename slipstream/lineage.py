"""Where a model came from: code version and config fingerprint (the data hash lives in `dataset`)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from slipstream.config import Config


def git_commit(where: Path) -> str:
    """The commit of the repository holding `where`, with `-dirty` when there are uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=where, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"  # not a git checkout: lineage says so rather than failing the run
    return f"{commit}-dirty" if dirty else commit


def config_sha256(config: Config) -> str:
    """Fingerprint of the effective config (defaults filled in), independent of formatting and comments."""
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()
