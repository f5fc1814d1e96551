"""SageMaker container conventions shared by train.py and evaluate.py: folders, failure reports, JSON output.

Runs inside AWS's scikit-learn image, so only the standard library, numpy and pandas are allowed here.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

# SageMaker reads <output>/failure into a training job's FailureReason and <output>/message into a
# processing job's ExitMessage; both keep only the first 1 KB, so the reason must come first and be short.
FAILURE_LIMIT = 1024


class JobError(Exception):
    """A problem the user can fix (bad data, bad estimator path...): reported without a traceback."""


def sm_dir(variable: str, default: str) -> Path:
    """A folder SageMaker names in the environment (`SM_MODEL_DIR`...), with the container default. The
    default's /opt/ml moves with SAGEMAKER_BASE_DIR, the toolkits' own setting for relocating it (local runs)."""
    base = os.environ.get("SAGEMAKER_BASE_DIR")
    if base and default.startswith("/opt/ml/"):
        default = str(Path(base) / default.removeprefix("/opt/ml/"))
    return Path(os.environ.get(variable) or default)


def to_jsonable(value: Any) -> Any:
    """numpy scalars/arrays to Python, NaN and infinities to None, recursively: JSON without NaN."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # allow_nan=False: a stray NaN must fail here, not in whatever reads the file later.
    path.write_text(json.dumps(to_jsonable(payload), indent=2, allow_nan=False) + "\n", encoding="utf-8")


def report_failure(script: str, reason: str, file_names: Iterable[str]) -> None:
    """Write the reason where SageMaker looks for it and make it the last line of stderr."""
    message = f"{script} failed: {' '.join(reason.split())}"
    output_dir = sm_dir("SM_OUTPUT_DIR", "/opt/ml/output")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        for name in file_names:
            (output_dir / name).write_text(message[:FAILURE_LIMIT], encoding="utf-8")
    except OSError as error:  # an unwritable output folder must not hide the original reason
        print(f"could not write the failure file in {output_dir}: {error}", file=sys.stderr)
    print(message, file=sys.stderr, flush=True)


def run_job(script: str, job: Callable[[], None], file_names: Iterable[str] = ("failure",)) -> None:
    """Run `job`; on any error report it SageMaker's way and exit 1 (so the job is marked Failed)."""
    try:
        job()
    except JobError as error:
        report_failure(script, str(error), file_names)
        sys.exit(1)
    except Exception as error:  # an unexpected bug: keep the traceback for whoever debugs it, reason last
        traceback.print_exc()
        report_failure(script, f"{type(error).__name__}: {error}", file_names)
        sys.exit(1)


class JobArgumentParser(argparse.ArgumentParser):
    """argparse that reports bad flags through the failure file (exit 1), like every other failure."""

    def error(self, message: str) -> NoReturn:
        raise JobError(f"bad arguments: {message}")


def parse_json_flag(name: str, text: str, expected: type) -> Any:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise JobError(f"--{name} must be JSON ({expected.__name__}), got {text!r}: {error}") from error
    if not isinstance(value, expected):
        raise JobError(f"--{name} must be a JSON {expected.__name__}, got {text!r}")
    return value
