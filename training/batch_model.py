"""The batch scorer's model: loaded by inference.py's model_fn and called as its predict() calls it (the label is
the most probable class), on the checked chunks of batch_rows.py.

Runs inside AWS's scikit-learn image, beside inference.py in the sourcedir.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from batch_outputs import labels
from batch_rows import Chunk
from sklearn import config_context
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sm_paths import JobError

import inference

# Their copy=False runs the same arithmetic on the input itself (SimpleImputer fills the missing cells in place,
# StandardScaler subtracts and divides in place): the same numbers, without a copy of the chunk per step.
IN_PLACE = (SimpleImputer, StandardScaler)


def load_model(folder: Path, scratch: Path) -> dict[str, Any]:
    archive = folder / "model.tar.gz"
    if archive.is_file():  # the registered package's ModelDataUrl, as a processing input downloads it
        with tarfile.open(archive) as tar:
            tar.extractall(scratch, filter="data")
        folder = scratch
    if not (folder / "metadata.json").is_file():
        raise JobError(f"no model at {folder} (metadata.json is missing)")
    # inference.py sits beside this file in the sourcedir; in the repository mypy sees the inference/ folder.
    model: dict[str, Any] = inference.model_fn(str(folder))  # type: ignore[attr-defined]
    if takes_arrays(model["pipeline"]):
        work_in_place(model["pipeline"])
    return model


def features_of(model: dict[str, Any], contract_path: Path) -> list[dict[str, Any]]:
    """The model's features in its order, with the contract's ranges (the API checks the same ranges)."""
    contract = json.loads(contract_path.read_text(encoding="utf-8"))
    ranges = {f["name"]: f for f in contract.get("features", [])}
    return [{**ranges.get(f["name"], {}), **f} for f in model["metadata"]["features"]]


def takes_arrays(pipeline: Any) -> bool:
    """A Pipeline fitted on model_pipeline's positional arrays, not on a DataFrame (models trained before)."""
    return getattr(pipeline, "feature_names_in_", None) is None


def work_in_place(pipeline: Any) -> None:
    """Let the leading preprocessing steps overwrite their input rather than copy it. Safe here and only here:
    each chunk's model input is an array the scorer built for that one call (batch_rows._frame) and never reads
    again; the endpoint keeps the pickled copy=True. On 1M x 30 floats the two copies were about a third of the
    model's time."""
    for step in _leading(pipeline):
        if not isinstance(step, IN_PLACE):
            return
        step.set_params(copy=False)


def _leading(pipeline: Any) -> Iterator[Any]:
    """The transformers in the order they see the input, nested Pipelines flattened, up to the estimator."""
    for _, step in pipeline.steps[:-1] if isinstance(pipeline, Pipeline) else []:
        if isinstance(step, Pipeline):
            yield from _leading(step)
            yield step.steps[-1][1]
        else:
            yield step


def model_input(pipeline: Any, checked: Chunk) -> Any:
    """What the Pipeline takes, as inference.py's InputPlan builds it: the frame for a model fitted on named
    columns, else the array in feature order (an all-numeric chunk's own column-major block, without a copy)."""
    if not takes_arrays(pipeline):
        return checked.frame
    if checked.block is not None:
        return checked.block
    return checked.frame.to_numpy(dtype=object)


def predict(model: dict[str, Any], checked: Chunk) -> dict[str, pa.Array]:
    pipeline, metadata = model["pipeline"], model["metadata"]
    frame = model_input(pipeline, checked)
    classes = [str(c) for c in metadata.get("classes") or []]
    # As inference.py calls the model: the rows were checked (check_chunk), so scikit-learn's finiteness scan
    # and parameter validation would only repeat that work on every chunk.
    with config_context(**inference.VALIDATED):  # type: ignore[attr-defined]
        if metadata["task"] != "classification":
            return {"prediction": pa.array(np.asarray(pipeline.predict(frame), dtype=float), pa.float64())}
        if not hasattr(pipeline, "predict_proba"):
            predicted = np.asarray(pipeline.predict(frame)).astype(str)
            return {"prediction": pa.array(predicted, pa.string()).dictionary_encode()}
        probabilities = np.asarray(pipeline.predict_proba(frame), dtype=float)
    columns: dict[str, pa.Array] = {"prediction": labels(probabilities.argmax(axis=1), classes)}
    columns.update({f"probability_{c}": pa.array(probabilities[:, i]) for i, c in enumerate(classes)})
    return columns
