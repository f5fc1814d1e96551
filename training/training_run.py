"""The Train step: read the train channel, fit the configured estimator, write the SageMaker model folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
from dataset_io import read_tables
from eval_metrics import compute_metrics
from gate_comparison import naive_baseline
from model_artifacts import build_metadata, find_inference_script, save_model
from model_pipeline import FrameModel, as_model_input, build_pipeline, describe_features, make_estimator
from sm_paths import JobError, write_json

TUNING_FILE = (
    "tuning.json"  # in the output data folder: every trial's parameters and score (slipstream/documents/tuning.py)
)


def _labelled_rows(data: pd.DataFrame, target: str, task: str) -> pd.DataFrame:
    """The rows that have a target, after checking the target exists."""
    if target not in data.columns:
        raise JobError(f"target column {target!r} is not in the training data (columns: {list(data.columns)[:20]})")
    has_target = data[target].notna()
    # A boolean take copies every column: only pay for it when some row lacks the target.
    labelled = data if has_target.all() else data[has_target]
    if labelled.empty:
        raise JobError(f"every row of the training data lacks the target {target!r}")
    if task == "classification" and labelled[target].nunique() < 2:
        raise JobError(f"classification needs at least two classes in {target!r}; found {labelled[target].unique()}")
    if task == "regression" and not pd.api.types.is_numeric_dtype(labelled[target]):
        raise JobError(f"regression needs a numeric target; {target!r} has dtype {labelled[target].dtype}")
    return labelled


def _model_input(channel_dir: Path, target: str, task: str) -> tuple[pd.DataFrame, pd.Series, list, int]:
    """(features frame, target, features, rows without a target). The channel's frame is not returned: the fit's
    largest allocations come after this, and holding the data as read beside the model input was a copy of the
    data too many at a million rows."""
    data = read_tables(channel_dir, "train")
    labelled = _labelled_rows(data, target, task)
    features = describe_features(labelled, target)
    if not features:
        raise JobError(f"the training data has no feature columns besides the target {target!r}")
    return as_model_input(labelled, features), labelled[target], features, len(data) - len(labelled)


def train(
    *,
    target: str,
    task: str,
    estimator: str,
    params: dict[str, Any],
    seed: int,
    channel_dir: Path,
    model_dir: Path,
    output_data_dir: Path,
    script_dir: Path,
    tuning: dict[str, Any] | None = None,
    trial_values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Fit and save the model on every column of the train channel but the target; returns (and writes) the
    training-set metrics. With `tuning`, the estimator's parameters are searched first (training/tuning.py) and the
    model saved is the best refit on the whole channel; its metadata carries the chosen parameters."""
    inference_script = find_inference_script(script_dir)  # before fitting: a missing file should fail fast
    x, y, features, without_target = _model_input(channel_dir, target, task)
    pipeline = FrameModel(build_pipeline(features, make_estimator(estimator, params, seed, task)), features)
    started = time.perf_counter()
    if tuning:  # the search (or one SageMaker trial) replaces the single fit: training/tuning.py
        from tuning import tune

        pipeline, chosen, record = tune(
            pipeline, x, y, spec=tuning, task=task, seed=seed, trial_values=trial_values or {}
        )
        params = {**params, **chosen}
        write_json(output_data_dir / TUNING_FILE, record)
    else:
        pipeline.fit(x, y)
    fit_seconds = time.perf_counter() - started
    classes = pipeline.classes_ if task == "classification" else None
    metadata = build_metadata(
        task=task,
        target=target,
        features=features,
        classes=classes,
        estimator=estimator,
        params=params,
        seed=seed,
        n_train_rows=len(x),
        baseline=naive_baseline(task, y),
    )
    save_model(model_dir, pipeline.pipeline, metadata, inference_script)
    scored = compute_metrics(task, pipeline, x, y)
    report = {
        "n_train_rows": len(x),
        "n_rows_without_target": without_target,
        "n_features": len(features),
        "fit_seconds": round(fit_seconds, 3),
        "metrics": scored["metrics"],
        "metric_notes": scored["notes"],
    }
    write_json(output_data_dir / "train_metrics.json", report)
    return report
