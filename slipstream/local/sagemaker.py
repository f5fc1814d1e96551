"""Run our SageMaker scripts on a laptop exactly as SageMaker would: same files, same flags, same `SM_*` env.

A training job gets `/opt/ml/code` (the extracted sourcedir), channels under `/opt/ml/input/data/<name>`,
`SM_MODEL_DIR` and the `/opt/ml/output/failure` convention. A processing job gets its inputs copied under
`/opt/ml/processing/<name>`. Here `/opt/ml` is a folder of the run directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from slipstream import job_arguments
from slipstream.errors import StepFailed

REPO_ROOT = Path(__file__).resolve().parents[2]
TRAINING_DIR = REPO_ROOT / "training"
INFERENCE_SCRIPT = REPO_ROOT / "inference" / "inference.py"
STDERR_TAIL_LINES = 15


def sourcedir_files() -> list[tuple[str, Path]]:
    """(name in the archive, file) for the sourcedir SageMaker extracts to /opt/ml/code: flat, sorted."""
    files = sorted(p for p in TRAINING_DIR.glob("*.py"))
    return [(p.name, p) for p in files] + [(INFERENCE_SCRIPT.name, INFERENCE_SCRIPT)]


def install_sourcedir(code_dir: Path) -> Path:
    code_dir.mkdir(parents=True, exist_ok=True)
    for name, path in sourcedir_files():
        shutil.copy2(path, code_dir / name)
    return code_dir


def _run(script: str, args: list[str], *, cwd: Path, env: dict[str, str], step: str, failure_file: Path) -> None:
    completed = subprocess.run(
        [sys.executable, script, *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    (cwd.parent / f"{step.lower()}.log").write_text(completed.stdout + completed.stderr, encoding="utf-8")
    if completed.returncode == 0:
        return
    tail = completed.stderr.strip().splitlines()[-STDERR_TAIL_LINES:]
    reason = failure_file.read_text(encoding="utf-8").strip() if failure_file.is_file() else ""
    raise StepFailed(
        f"{step} failed (exit code {completed.returncode}){': ' + reason if reason else ''}",
        details=[f"stderr: {line}" for line in tail],
    )


def run_training_job(
    opt_ml: Path, *, channels: dict[str, Path], hyperparameters: Mapping[str, object], program: str = "train.py"
) -> Path:
    """Run `program` as a SageMaker script-mode training job rooted at `opt_ml`; returns SM_MODEL_DIR."""
    code_dir = install_sourcedir(opt_ml / "code")
    model_dir, output_dir = opt_ml / "model", opt_ml / "output"
    for folder in (model_dir, output_dir / "data", opt_ml / "input" / "config"):
        folder.mkdir(parents=True, exist_ok=True)
    channel_dirs = {}
    for name, source in channels.items():
        channel_dirs[name] = opt_ml / "input" / "data" / name
        shutil.copytree(source, channel_dirs[name], dirs_exist_ok=True)
    (opt_ml / "input" / "config" / "hyperparameters.json").write_text(
        # As the SageMaker SDK writes it: every value JSON-encoded, strings included; the toolkit decodes each.
        json.dumps(job_arguments.sdk_encoded(hyperparameters)),
        encoding="utf-8",
    )
    env = {
        "SM_MODEL_DIR": str(model_dir),
        "SM_OUTPUT_DIR": str(output_dir),
        "SM_OUTPUT_DATA_DIR": str(output_dir / "data"),
        "SM_INPUT_DIR": str(opt_ml / "input"),
        "SM_CHANNELS": json.dumps(sorted(channels)),
        "SM_HPS": json.dumps(hyperparameters),
        **{f"SM_CHANNEL_{name.upper()}": str(path) for name, path in channel_dirs.items()},
    }
    args = job_arguments.toolkit_flags(hyperparameters)
    _run(program, args, cwd=code_dir, env=env, step="Train", failure_file=output_dir / "failure")
    return model_dir


def run_processing_job(
    opt_ml: Path, *, program: str, inputs: dict[str, Path], outputs: Iterable[str], arguments: list[str]
) -> dict[str, Path]:
    """Run `program` as a processing job: inputs copied to /opt/ml/processing/<name>; returns output folders."""
    code_dir = install_sourcedir(opt_ml / "processing" / "input" / "code")
    for name, source in inputs.items():
        target = opt_ml / "processing" / name
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / source.name)
    output_dirs = {name: opt_ml / "processing" / name for name in outputs}
    for folder in output_dirs.values():
        folder.mkdir(parents=True, exist_ok=True)
    failure = opt_ml / "processing" / "failure"
    # Arguments name /opt/ml/processing/...: map that prefix onto this run's folder, as the container's mount does.
    mapped = [a.replace("/opt/ml", str(opt_ml)) for a in arguments]
    _run(
        program, mapped, cwd=code_dir, env={"SM_OUTPUT_DIR": str(failure.parent)}, step="Evaluate", failure_file=failure
    )
    return output_dirs
