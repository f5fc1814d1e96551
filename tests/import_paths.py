"""Which heavy modules an import statement loads, asked of a fresh interpreter (this one has them all loaded)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def modules_loaded_by(module: str, candidates: Iterable[str]) -> list[str]:
    """The names among `candidates` that are in sys.modules after `import <module>` in a new process."""
    code = f"import sys, {module}; print(','.join(m for m in {tuple(candidates)!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return [name for name in out.stdout.strip().split(",") if name]
