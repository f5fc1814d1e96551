"""The model folder SageMaker tars into model.tar.gz, and reading it back (plain folder or archive).

Layout (what the SageMaker scikit-learn serving container expects, with SAGEMAKER_PROGRAM=inference.py):
    model.joblib        the fitted Pipeline
    metadata.json       task, target, features, classes, estimator, params, seed, versions, naive baseline
    code/inference.py   model_fn / transform_fn
    code/requirements.txt
"""

from __future__ import annotations

import json
import shutil
import tarfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import joblib
import sklearn
from model_pipeline import FrameModel
from sm_paths import JobError, to_jsonable, write_json

MODEL_FILE, METADATA_FILE, ARCHIVE = "model.joblib", "metadata.json", "model.tar.gz"
# The serving container pip-installs code/requirements.txt at start-up. The image already has
# scikit-learn, pandas, numpy and joblib at the version that trained the model, and a serverless
# endpoint may have no internet: so nothing is listed (pip accepts a comment-only file).
REQUIREMENTS_TXT = (
    "# Intentionally empty: the SageMaker scikit-learn image already provides scikit-learn, pandas, numpy\n"
    "# and joblib at the version that trained this model; installing at endpoint start needs internet.\n"
)


def find_inference_script(script_dir: Path) -> Path:
    """inference.py beside train.py (the SageMaker sourcedir), else the repository's inference/ folder."""
    candidates = (script_dir / "inference.py", script_dir.parent / "inference" / "inference.py")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise JobError(f"inference.py not found (looked at {', '.join(str(c) for c in candidates)})")


def build_metadata(
    *,
    task: str,
    target: str,
    features: list[dict[str, str]],
    classes: Any,
    estimator: str,
    params: dict[str, Any],
    seed: int,
    n_train_rows: int,
    baseline: dict[str, Any],
) -> dict[str, Any]:
    """`baseline`: the naive model of the training target (gate_comparison.naive_baseline), for the gate."""
    return {
        "task": task,
        "target": target,
        "features": features,
        "classes": to_jsonable(list(classes)) if classes is not None else None,
        "estimator": estimator,
        "params": to_jsonable(params),
        "seed": seed,
        "sklearn_version": sklearn.__version__,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "n_train_rows": n_train_rows,
        "baseline": baseline,
    }


def save_model(model_dir: Path, pipeline: Any, metadata: dict[str, Any], inference_script: Path) -> None:
    code_dir = model_dir / "code"
    code_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, model_dir / MODEL_FILE)
    write_json(model_dir / METADATA_FILE, metadata)
    shutil.copyfile(inference_script, code_dir / "inference.py")
    (code_dir / "requirements.txt").write_text(REQUIREMENTS_TXT, encoding="utf-8")


def _extract(archive: Path, destination: Path) -> None:
    with tarfile.open(archive) as tar:
        # "data" filter (3.10.12+ / 3.11.4+; the image's 3.10 has it, tests/unit/test_image_python_compat.py):
        # refuses absolute paths, links and members leaving the folder.
        tar.extractall(destination, filter="data")


def unpack_model_dir(model_dir: Path, scratch: Path) -> Path:
    """The folder holding model.joblib: `model_dir` itself, or its model.tar.gz extracted into `scratch`."""
    if (model_dir / MODEL_FILE).is_file():
        return model_dir
    if (model_dir / ARCHIVE).is_file():
        _extract(model_dir / ARCHIVE, scratch)
        if (scratch / MODEL_FILE).is_file():
            return scratch
        raise JobError(f"{model_dir / ARCHIVE} does not contain {MODEL_FILE} at its top level")
    raise JobError(f"no {MODEL_FILE} or {ARCHIVE} in {model_dir}")


def load_model(model_dir: Path, scratch: Path) -> tuple[Any, dict[str, Any]]:
    """(fitted Pipeline as a FrameModel, metadata) from a model folder or a folder holding model.tar.gz."""
    folder = unpack_model_dir(model_dir, scratch)
    try:
        metadata = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise JobError(f"cannot read {METADATA_FILE} in {model_dir}: {error}") from error
    try:
        pipeline = joblib.load(folder / MODEL_FILE)
    except Exception as error:  # unpickling can fail in many ways; all mean "this model cannot be used here"
        raise JobError(f"cannot load {MODEL_FILE} from {model_dir}: {type(error).__name__}: {error}") from error
    return FrameModel(pipeline, metadata.get("features") or []), metadata
