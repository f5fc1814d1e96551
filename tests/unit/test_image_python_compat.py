"""training/ and inference/ run on the image's Python (3.10), not the laptop's: every module must
import there, with the image's libraries (datetime.UTC, for one, is 3.11+)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from slipstream.local import image_env

REPO = Path(__file__).resolve().parents[2]
# One process for all modules (each start costs seconds under load); the sourcedir is flat, so its modules
# import each other by top-level name and training/ is on the path.
PROBE = """
import importlib.util, sys, traceback
sys.path[:0] = sys.argv[1:3]
for path in sys.argv[3:]:
    try:
        spec = importlib.util.spec_from_file_location("probe_" + path.replace("/", "_"), path)
        module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)  # as import does (dataclasses)
        spec.loader.exec_module(module)
    except BaseException as error:
        print(f"{path}: {type(error).__name__}: {error}")
"""


def test_every_shipped_module_imports_on_the_images_python() -> None:
    modules = sorted((REPO / "training").glob("*.py")) + sorted((REPO / "inference").glob("*.py"))
    command = [str(image_env.image_python()), "-c", PROBE, str(REPO / "training"), str(REPO / "inference")]
    done = subprocess.run([*command, *map(str, modules)], capture_output=True, text=True, env={}, check=True)
    assert done.stdout == "", done.stdout


def test_the_images_python_has_the_safe_tar_filter() -> None:
    """model_artifacts extracts with filter="data", added in 3.10.12: an older 3.10 would fail Evaluate."""
    probe = "import tarfile, sys; print(hasattr(tarfile, 'data_filter'), sys.version_info[:3])"
    done = subprocess.run([str(image_env.image_python()), "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("True"), done.stdout
