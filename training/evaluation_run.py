"""The Evaluate step: held-out metrics for the challenger (and the champion, on the same rows), the gate's
paired comparisons against the naive baseline and the champion, behavioural tests and the challenger's
permutation importance (feature_importance.py), written as one evaluation.json that the quality gate reads
(slipstream/documents/evaluation.py is its reader's shape)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import sklearn
from behaviour_checks import Subject, run_behaviour_tests
from dataset_io import read_tables
from eval_metrics import compute_metrics
from feature_importance import importance
from gate_comparison import baseline_outputs, compare, model_outputs
from model_artifacts import load_model
from model_pipeline import as_model_input
from sm_paths import JobError, write_json

# The quality gate reads it by this name (slipstream/layout.py EVALUATION_FILE repeats it: this runs in the image).
EVALUATION_FILE = "evaluation.json"
# slipstream/config.py DEFAULT_GATE, for a job given no importance settings file.
DEFAULT_METRIC = {"classification": "roc_auc", "regression": "r2"}
TASK_METRICS = {"classification": {"accuracy", "f1", "roc_auc", "log_loss"}, "regression": {"rmse", "mae", "r2"}}
IMPORTANCE_KEYS = {"metric", "sensitive", "identifiers"}  # slipstream/documents/evaluation.py ImportanceSettings


def load_behaviour(path: Path | None) -> dict[str, Any] | None:
    """The behavioural test spec, or None when there is no file (then there are no tests)."""
    if path is None or not path.is_file():
        return None
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise JobError(f"the behaviour file {path} is not valid JSON: {error}") from error
    if not isinstance(spec, dict):
        raise JobError(f"the behaviour file {path} must hold a JSON object with directional/invariance/...")
    return spec


def load_importance_settings(path: Path | None, task: str) -> dict[str, Any]:
    """What permutation importance scores with and flags: {"metric", "sensitive", "identifiers"} (ValidateData
    writes it: slipstream/documents/evaluation.py ImportanceSettings); without the file, the task's default."""
    if path is None or not path.is_file():
        return {"metric": DEFAULT_METRIC[task], "sensitive": [], "identifiers": []}
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise JobError(f"the importance settings file {path} is not valid JSON: {error}") from error
    if not isinstance(settings, dict) or not isinstance(settings.get("metric"), str):
        raise JobError(f'the importance settings file {path} must hold a JSON object with a "metric"')
    unknown = sorted(set(settings) - IMPORTANCE_KEYS)
    if unknown:  # a writer this job does not know: refuse rather than silently flag nothing
        raise JobError(f"the importance settings file {path} has keys this job does not read: {unknown}")
    if settings["metric"] not in TASK_METRICS[task]:
        raise JobError(f"the importance settings file {path} names {settings['metric']!r}, not a {task} metric")
    return settings


def _held_out(data: pd.DataFrame, metadata: dict[str, Any]) -> tuple[pd.DataFrame, pd.Series]:
    target = metadata["target"]
    if target not in data.columns:
        raise JobError(f"the test data lacks the target column {target!r}")
    labelled = data[data[target].notna()]
    if labelled.empty:
        raise JobError(f"no test row has a value for the target {target!r}")
    return as_model_input(labelled, metadata["features"]), labelled[target]


def _champion(
    champion_dir: Path | None, data: pd.DataFrame, challenger: dict[str, Any], scratch: Path
) -> tuple[dict[str, Any], Any]:
    """The champion's metrics on the same test rows, and its pipeline (None when it cannot be compared); an
    unusable champion is reported, not fatal."""
    result: dict[str, Any] = {"champion_metrics": None, "champion_metric_notes": None, "champion_error": None}
    if champion_dir is None:
        return result, None
    task = challenger["task"]
    try:
        pipeline, metadata = load_model(champion_dir, scratch)
        if metadata.get("task") != task:
            raise JobError(f"the champion is a {metadata.get('task')} model, the challenger a {task} model")
        if metadata.get("target") != challenger["target"]:
            raise JobError(f"the champion predicts {metadata.get('target')!r}, the challenger {challenger['target']!r}")
        features, y = _held_out(data, metadata)
        scored = compute_metrics(task, pipeline, features, y)
    except JobError as error:
        result["champion_error"] = f"the champion could not be evaluated on this test data: {error}"
        return result, None
    return {**result, "champion_metrics": scored["metrics"], "champion_metric_notes": scored["notes"]}, pipeline


def _defined(metrics: dict[str, Any] | None) -> set[str]:
    return {name for name, value in (metrics or {}).items() if value is not None}


def _comparison(
    metadata: dict[str, Any], data: pd.DataFrame, challenger: Any, scored: dict[str, Any], champion: tuple
) -> dict[str, Any]:
    """The gate's paired figures (gate_comparison.py): challenger vs the naive baseline and the champion."""
    task = metadata["task"]
    features, y = _held_out(data, metadata)
    classes = list(metadata.get("classes") or [])
    models = {"challenger": model_outputs(task, challenger, features, y, classes)}
    models["baseline"], baseline = baseline_outputs(task, metadata, y)
    defined = {"challenger": _defined(scored["metrics"]), "baseline": _defined(scored["metrics"])}
    report, champion_pipeline = champion
    if champion_pipeline is not None:
        models["champion"] = model_outputs(task, champion_pipeline, features, y, classes)
        same_classes = task == "regression" or set(champion_pipeline.classes_) == set(classes)
        defined["champion"] = _defined(report["champion_metrics"]) if same_classes else set()
    figures = compare(task, models, defined, int(metadata.get("seed") or 0))
    return {**figures, "baseline": baseline}


def evaluate(
    *,
    model_dir: Path,
    test_dir: Path,
    output_dir: Path,
    champion_dir: Path | None,
    behaviour_path: Path | None,
    importance_path: Path | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        pipeline, metadata = load_model(model_dir, Path(scratch) / "challenger")
        task = metadata["task"]
        data = read_tables(test_dir, "test")
        features, y = _held_out(data, metadata)
        scored = compute_metrics(task, pipeline, features, y)
        champion = _champion(champion_dir, data, metadata, Path(scratch) / "champion")
        comparison = _comparison(metadata, data, pipeline, scored, champion)
    seed = int(metadata.get("seed") or 0)  # the config's data.seed, which training recorded
    spec = load_behaviour(behaviour_path)
    behaviour = run_behaviour_tests(Subject(pipeline, metadata, features, y), spec, seed)
    behaviour["source"] = str(behaviour_path) if spec is not None else None
    settings = load_importance_settings(importance_path, task)
    report: dict[str, Any] = {
        "task": task,
        "n_test_rows": len(y),
        "metrics": scored["metrics"],
        "metric_notes": scored["notes"],
    }
    if task == "classification":
        report["confusion_matrix"] = scored["confusion_matrix"]
    report.update(champion[0])
    report["comparison"] = comparison
    report["behaviour"] = behaviour
    report["importance"] = importance(task, pipeline, features, y, settings, seed)
    report["model"] = {
        "estimator": metadata.get("estimator"),
        "sklearn_version": metadata.get("sklearn_version"),
        "evaluated_with_sklearn": sklearn.__version__,
    }
    write_json(output_dir / EVALUATION_FILE, report)
    return report
