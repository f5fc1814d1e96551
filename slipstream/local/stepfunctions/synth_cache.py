"""A cloud assembly shared by the processes of one test session (or any caller that sets the variable).

Synthesis costs ~15-25 s of CPU (jsii + Node) and both pytest-xdist workers need the same stacks, so with
SLIPSTREAM_SYNTH_CACHE set to a folder the first process synthesizes under a lock and the others read the
result. The key covers everything synthesis reads: the config and its folder, the stage, the commit recorded
in the templates and the bytes of every source file the app bundles or imports. A change to any of them is a new
folder, never a stale template.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

ENV = "SLIPSTREAM_SYNTH_CACHE"
REPO = Path(__file__).resolve().parents[3]
SOURCES = ("cdk", "slipstream", "lambdas", "training", "inference", "images")
TOP_FILES = ("cdk.json", "requirements.lock", "package.json", "package-lock.json")
META = "slipstream-synth.json"


def cache_root() -> Path | None:
    value = os.environ.get(ENV)
    return Path(value) if value else None


@cache
def source_digest() -> str:
    digest = hashlib.sha256()
    files = [REPO / name for name in TOP_FILES if (REPO / name).is_file()]
    for folder in SOURCES:
        files += sorted(p for p in (REPO / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def key(config_json: str, base_dir: str, stage: str, code_version: str) -> str:
    # base_dir: synthesis reads the dataset's columns from the config's folder (cdk/warehouse/tables.py).
    parts = [config_json, base_dir, stage, code_version, source_digest()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def shared(root: Path, name: str, build: Callable[[Path], dict[str, Any]]) -> tuple[Path, dict[str, Any]]:
    """(outdir, metadata) of the assembly `name`: read if present, else built into a fresh folder by `build`."""
    folder = root / name
    with _locked(root / f"{name}.lock"):
        if (folder / META).is_file():
            return folder, json.loads((folder / META).read_text())
        partial = root / f"{name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        metadata = build(partial)
        (partial / META).write_text(json.dumps(metadata))
        partial.rename(folder)  # whole or absent: a killed synthesis leaves only a .partial folder
        return folder, metadata
