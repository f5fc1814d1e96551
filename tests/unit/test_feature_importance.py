"""Permutation importance in the evaluation job (training/feature_importance.py), read back through the typed
evaluation document (slipstream/documents/evaluation.py Importance): ranking, noise, flags and cost."""

from __future__ import annotations

import json
from pathlib import Path

import evaluation_run  # training/ is on the test path: the script the processing job runs
import feature_importance
import numpy as np
import pandas as pd
import pytest
import training_run
from sm_paths import JobError

from slipstream.documents.evaluation import Evaluation, Importance, ImportanceSettings

REPO = Path(__file__).resolve().parents[2]
NOISE = ["noise_a", "noise_b", "noise_c"]


def _signal_frame(rows: int, seed: int) -> pd.DataFrame:
    """`signal` decides the label (with some noise); `noise_*` and `colour` are independent of it."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"signal": rng.normal(size=rows), **{name: rng.normal(size=rows) for name in NOISE}})
    frame["colour"] = rng.choice(["red", "blue", "green"], rows)
    frame["y"] = np.where(frame["signal"] + rng.normal(0, 0.4, rows) > 0, "yes", "no")
    return frame


def _evaluate(root: Path, frame: pd.DataFrame, settings: dict | None, train_rows: int) -> dict:
    for name, part in (("train", frame[:train_rows]), ("test", frame[train_rows:])):
        (root / name).mkdir(parents=True)
        part.to_csv(root / name / f"{name}.csv", index=False)
    training_run.train(
        target="y",
        task="classification",
        estimator="sklearn.linear_model.LogisticRegression",
        params={},
        seed=11,
        channel_dir=root / "train",
        model_dir=root / "model",
        output_data_dir=root / "out",
        script_dir=REPO / "training",
    )
    settings_path = None
    if settings is not None:
        settings_path = root / "importance.json"
        settings_path.write_text(json.dumps(settings))
    return evaluation_run.evaluate(
        model_dir=root / "model",
        test_dir=root / "test",
        output_dir=root / "eval",
        champion_dir=None,
        behaviour_path=None,
        importance_path=settings_path,
    )


@pytest.fixture(scope="module")
def signal_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    # The settings as ValidateData writes them (the seam's other side).
    settings = ImportanceSettings(metric="roc_auc", sensitive=["signal"], identifiers=["colour"]).model_dump()
    return _evaluate(tmp_path_factory.mktemp("signal"), _signal_frame(600, 5), settings, 400)


def test_the_signal_ranks_first_and_the_noise_is_within_noise_of_zero(signal_report: dict) -> None:
    importance = Evaluation.model_validate(signal_report).importance
    assert importance is not None and importance.metric == "roc_auc" and importance.method == "permutation"
    assert (importance.rows, importance.rows_used, importance.repeats, importance.seed) == (200, 200, 5, 11)
    top, *rest = importance.features
    assert top.feature == "signal" and top.distinguishable and top.mean > 0.2
    assert {f.feature for f in rest} == {*NOISE, "colour"}  # the raw columns, not the one-hot ones
    for feature in rest:
        assert abs(feature.mean) < 0.02 and abs(feature.mean) <= 2 * feature.std + 0.005, feature
    assert [f.mean for f in importance.features] == sorted((f.mean for f in importance.features), reverse=True)


def test_a_sensitive_top_feature_and_an_identifier_feature_are_flagged(signal_report: dict) -> None:
    importance = Evaluation.model_validate(signal_report).importance
    assert importance is not None
    flags = {(flag.kind, flag.feature) for flag in importance.flags}
    assert flags == {("top_feature_sensitive", "signal"), ("identifier_is_feature", "colour")}


def test_the_same_seed_gives_the_same_figures(signal_report: dict, tmp_path: Path) -> None:
    settings = {"metric": "roc_auc", "sensitive": ["signal"], "identifiers": ["colour"]}
    again = _evaluate(tmp_path, _signal_frame(600, 5), settings, 400)
    assert again["importance"] == signal_report["importance"]


def test_a_top_feature_that_is_noise_is_not_flagged() -> None:
    ranked = [{"feature": "age", "mean": 0.001, "std": 0.002, "distinguishable": False}]
    flags = feature_importance._flags(ranked, ["age"], {"sensitive": ["age"], "identifiers": []})
    assert flags == []


def test_the_top_feature_is_the_first_above_noise() -> None:
    ranked = [
        {"feature": "texture", "mean": 0.006, "std": 0.0033, "distinguishable": False},
        {"feature": "age", "mean": 0.0059, "std": 0.0009, "distinguishable": True},
        {"feature": "zip", "mean": 0.004, "std": 0.0001, "distinguishable": True},
    ]
    settings = {"sensitive": ["texture", "age"], "identifiers": ["zip"]}
    flags = feature_importance._flags(ranked, ["texture", "age", "zip"], settings)
    assert [(flag["kind"], flag["feature"]) for flag in flags] == [
        ("identifier_is_feature", "zip"),
        ("top_feature_sensitive", "age"),
    ]
    importance = Importance.model_validate({**_minimal_importance(), "features": ranked, "flags": flags})
    assert importance.top_above_noise() is not None and importance.top_above_noise().feature == "age"


def _minimal_importance() -> dict:
    return {
        "method": "permutation",
        "metric": "roc_auc",
        "orientation": "as is",
        "repeats": 5,
        "seed": 1,
        "rows": 10,
        "rows_used": 10,
        "noise_rule": "mean - 2 std > 0",
        "note": None,
    }


def test_an_error_metric_is_negated_so_positive_still_means_relied_on(tmp_path: Path) -> None:
    report = _evaluate(tmp_path, _signal_frame(300, 8), {"metric": "log_loss"}, 200)
    importance = Importance.model_validate(report["importance"])
    assert importance.orientation == "negated (an error metric)"
    assert importance.features[0].feature == "signal" and importance.features[0].mean > 0
    assert importance.flags == []


def test_without_a_settings_file_the_task_default_metric_is_used(tmp_path: Path) -> None:
    report = _evaluate(tmp_path, _signal_frame(300, 9), None, 200)
    assert report["importance"]["metric"] == "roc_auc"


def test_a_large_held_out_set_is_capped_and_bounded_in_time(tmp_path: Path) -> None:
    rows = feature_importance.MAX_ROWS * 10
    frame = _signal_frame(rows + 500, 4)
    # Bounded by the rows it uses (asserted below), not by a wall-clock limit a loaded machine would break.
    report = _evaluate(tmp_path, frame, {"metric": "roc_auc"}, 500)
    importance = Importance.model_validate(report["importance"])
    assert importance.method == "permutation on a subset" and importance.rows == rows
    assert importance.rows_used == feature_importance.MAX_ROWS
    assert importance.features[0].feature == "signal"


def test_an_undefined_metric_gives_no_features_and_says_why(tmp_path: Path) -> None:
    frame = _signal_frame(300, 3)
    frame.loc[200:, "y"] = "yes"  # one class in the held-out rows: roc_auc is undefined
    report = _evaluate(tmp_path, frame, {"metric": "roc_auc", "identifiers": ["colour"]}, 200)
    importance = Importance.model_validate(report["importance"])
    assert importance.features == [] and importance.note and "roc_auc" in importance.note
    assert [flag.kind for flag in importance.flags] == ["identifier_is_feature"]


def test_settings_naming_another_tasks_metric_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "importance.json"
    path.write_text(ImportanceSettings(metric="rmse").model_dump_json())
    with pytest.raises(JobError, match=r"names 'rmse', not a classification metric"):
        evaluation_run.load_importance_settings(path, "classification")


def test_settings_with_keys_the_job_does_not_read_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "importance.json"
    path.write_text(json.dumps({"metric": "roc_auc", "protected": ["age"]}))
    with pytest.raises(JobError, match=r"keys this job does not read: \['protected'\]"):
        evaluation_run.load_importance_settings(path, "classification")


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_scorer_computes_each_metric_as_the_metrics_table_does(task: str) -> None:
    from eval_metrics import compute_metrics, metric_value
    from model_pipeline import FrameModel, as_model_input, build_pipeline, describe_features
    from sklearn.linear_model import LinearRegression, LogisticRegression

    frame = _signal_frame(300, 2)
    if task == "regression":
        frame["y"] = frame["signal"] * 3 + np.random.default_rng(1).normal(size=300)
    features = describe_features(frame, "y")
    x, y = as_model_input(frame, features), frame["y"]
    estimator = LogisticRegression() if task == "classification" else LinearRegression()
    pipeline = FrameModel(build_pipeline(features, estimator), features).fit(x[:200], y[:200])
    table = compute_metrics(task, pipeline, x[200:], y[200:])["metrics"]
    assert {name: metric_value(task, name, pipeline, x[200:], y[200:]) for name in table} == table
