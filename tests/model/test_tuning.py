"""Hyperparameter search in the training job (training/tuning.py): it beats the defaults where they are poor, it
cross-validates on the training split only, and what it writes is the document the local runner reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
import pytest
import training_run
from search_space import LogUniformInteger, trial_value
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score
from sm_paths import JobError

from slipstream.documents.tuning import TuningRecord
from tests.model.model_suite import TRAINING_DIR, Split, write_split

TREE = "sklearn.tree.DecisionTreeClassifier"
SPACE = {"max_depth": {"low": 1, "high": 12}, "min_samples_leaf": {"low": 1, "high": 80, "log": True}}


def _spec(**overrides: Any) -> dict[str, Any]:
    spec = {"mode": "search", "metric": "roc_auc", "higher_is_better": True, "cv_folds": 3, "trials": 12}
    return {**spec, "timeout_seconds": 600, "space": SPACE, **overrides}


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> Split:
    """Labels with 30% noise: a fully grown tree (the default) memorises the noise, a shallow one does not."""
    x, y = make_classification(n_samples=800, n_features=8, n_informative=4, flip_y=0.3, random_state=3)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(8)]).assign(label=pd.Series(y).map({0: "no", 1: "yes"}))
    return write_split(tmp_path_factory.mktemp("noisy"), frame, "label", stratify=True)


def _train(root: Path, split: Split, tuning: dict[str, Any] | None, **kwargs: Any) -> dict[str, Any]:
    return training_run.train(
        target=split.target, task="classification", estimator=TREE, params={}, seed=42,
        channel_dir=split.train_dir, model_dir=root / "model", output_data_dir=root / "data",
        script_dir=TRAINING_DIR, tuning=tuning, **kwargs,
    )  # fmt: skip


def _held_out_auc(model_dir: Path, split: Split) -> float:
    pipeline = joblib.load(model_dir / "model.joblib")
    proba = pipeline.predict_proba(split.test.drop(columns=split.target))[:, list(pipeline.classes_).index("yes")]
    return float(roc_auc_score(split.test[split.target] == "yes", proba))


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory, noisy: Split) -> tuple[Path, TuningRecord]:
    root = tmp_path_factory.mktemp("tuned")
    _train(root, noisy, _spec())
    return root, TuningRecord.model_validate_json((root / "data" / "tuning.json").read_text())


def test_the_search_beats_the_default_parameters_on_held_out_rows(tmp_path: Path, noisy: Split, tuned: Any) -> None:
    root, record = tuned
    _train(tmp_path, noisy, None)
    default, searched = _held_out_auc(tmp_path / "model", noisy), _held_out_auc(root / "model", noisy)
    assert searched > default + 0.05, (default, searched)  # measured: 0.69 for the grown tree, 0.79 tuned
    metadata = json.loads((root / "model" / "metadata.json").read_text())
    assert metadata["params"] == record.best.params  # the model saved is the best, refit: its metadata says so


def test_the_search_sees_the_training_split_only(noisy: Split, tuned: Any) -> None:
    _, record = tuned
    assert [p.name for p in noisy.train_dir.iterdir()] == ["train.csv"]  # the job's channel: no held-out file
    assert record.cv_rows == len(noisy.train) and sum(record.fold_test_rows) == len(noisy.train)
    assert len(record.fold_test_rows) == record.cv_folds == 3


def test_every_trial_is_recorded_within_the_space(tuned: Any) -> None:
    _, record = tuned
    assert record.trials_run == len(record.trials) == 12 and record.stopped_by == "trials"
    for trial in record.trials:
        assert 1 <= int(trial.params["max_depth"]) <= 12 and 1 <= int(trial.params["min_samples_leaf"]) <= 80
        assert trial.score is not None and len(trial.fold_scores) == 3
    best = max(record.trials, key=lambda t: t.score or 0.0)
    assert (record.best.trial, record.best.score) == (best.trial, best.score)
    assert "tuned 12 trial(s) with 3-fold CV" in record.summary()


def test_no_new_trial_starts_after_the_budget(tmp_path: Path, noisy: Split) -> None:
    _train(tmp_path, noisy, _spec(timeout_seconds=0, trials=50))
    record = TuningRecord.model_validate_json((tmp_path / "data" / "tuning.json").read_text())
    assert (record.trials_run, record.stopped_by) == (1, "timeout")  # the first trial runs: something to refit


def test_a_sagemaker_trial_scores_the_values_it_is_given_and_prints_the_objective(
    tmp_path: Path, noisy: Split, capsys: pytest.CaptureFixture[str]
) -> None:
    values = {"max_depth": "3", "min_samples_leaf": "20"}
    _train(tmp_path, noisy, _spec(mode="trial"), trial_values=values)
    record = json.loads((tmp_path / "data" / "tuning.json").read_text())
    assert record["params"] == {"max_depth": 3, "min_samples_leaf": 20} and record["cv_rows"] == len(noisy.train)
    assert f"slipstream-tuning-objective: roc_auc={record['score']:.10g};" in capsys.readouterr().out


def test_a_trial_value_outside_the_space_fails_the_job(tmp_path: Path, noisy: Split) -> None:
    with pytest.raises(JobError, match=r"max_depth=40 is outside the configured range \[1, 12\]"):
        _train(tmp_path, noisy, _spec(mode="trial"), trial_values={"max_depth": "40", "min_samples_leaf": "2"})


def test_choices_travel_as_text_and_come_back_as_configured() -> None:
    entry = {"choices": ["1", 1, True, "lbfgs"]}
    assert [trial_value("x", text, entry) for text in ("1", "True", "lbfgs")] == ["1", True, "lbfgs"]
    draws = [LogUniformInteger(1, 1000).rvs(random_state=seed) for seed in range(200)]
    assert min(draws) >= 1 and max(draws) <= 1000 and sum(d < 32 for d in draws) > 60  # log-uniform: half below ~32
