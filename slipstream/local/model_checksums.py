"""SHA-256 of every file of a model folder: recorded at registration, checked wherever a copy is loaded.

A copy in the serving cache can be truncated or altered after it was downloaded (a full disk, a hand edit, a
half-finished copy); the registry's record says what each file must be, so a bad copy is found before it is
trusted rather than when a request fails.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from slipstream.errors import SlipstreamError

_CHUNK = 1 << 20


class ModelTampered(SlipstreamError):
    """A model file differs from what the registry recorded for its version."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_checksums(folder: Path) -> dict[str, str]:
    """{path relative to `folder` (POSIX): SHA-256} for every file under it, in a stable order."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return {p.relative_to(folder).as_posix(): sha256_of(p) for p in files}


def mismatches(folder: Path, expected: dict[str, str]) -> list[str]:
    """The recorded files that are missing under `folder` or whose content differs, each with why."""
    problems = []
    for relative, digest in expected.items():
        path = folder / relative
        if not path.is_file():
            problems.append(f"{relative}: missing")
        elif sha256_of(path) != digest:
            problems.append(f"{relative}: SHA-256 {sha256_of(path)[:12]}… but the registry recorded {digest[:12]}…")
    return problems


def verify(folder: Path, expected: dict[str, str], *, version: str) -> None:
    """Raise ModelTampered naming the version and each bad file; nothing recorded (older versions): no check."""
    problems = mismatches(folder, expected)
    if problems:
        raise ModelTampered(
            f"the model files of version {version} in {folder} differ from what the registry recorded",
            details=problems,
        )
