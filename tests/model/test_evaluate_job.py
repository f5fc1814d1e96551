"""evaluate.py and train.py as SageMaker runs them: flags, folders, model.tar.gz input, failure reporting."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from slipstream.documents.evaluation import Evaluation, ImportanceSettings
from tests.model.model_suite import LOGISTIC, TRAINING_DIR, Split, run_script, sm_env

pytestmark = pytest.mark.slow  # training and evaluation jobs on the image's Python


def _tar_model(model_dir: Path, into: Path) -> Path:
    """model.tar.gz as SageMaker writes it: the model folder's contents at the archive root."""
    into.mkdir(parents=True)
    with tarfile.open(into / "model.tar.gz", "w:gz") as tar:
        for path in sorted(model_dir.rglob("*")):
            tar.add(path, arcname=path.relative_to(model_dir).as_posix(), recursive=False)
    return into


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory, lr_model: Path, forest_model: Path, cancer: Split, behaviour_spec) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("evaluate")
    (root / "config").mkdir()
    (root / "config" / "behaviour.json").write_text(json.dumps(behaviour_spec))
    args = ["--model-dir", str(_tar_model(lr_model, root / "model")), "--test-dir", str(cancer.test_dir)]
    args += ["--output-dir", str(root / "evaluation"), "--champion-model-dir", str(forest_model)]
    args += ["--behaviour", str(root / "config" / "behaviour.json")]
    settings = ImportanceSettings(metric="log_loss", sensitive=["worst radius"], identifiers=["mean radius"])
    (root / "config" / "importance.json").write_text(settings.model_dump_json())
    args += ["--importance", str(root / "config" / "importance.json")]
    completed = run_script(TRAINING_DIR / "evaluate.py", args, {"SM_OUTPUT_DIR": str(root / "output")}, cwd=root)
    assert completed.returncode == 0, completed.stderr
    assert not (root / "output" / "failure").exists()
    text = (root / "evaluation" / "evaluation.json").read_text()
    assert "NaN" not in text
    return json.loads(text)


def test_evaluation_report_holds_metrics_champion_and_behaviour(evaluation: dict[str, Any], cancer: Split) -> None:
    assert evaluation["task"] == "classification" and evaluation["n_test_rows"] == len(cancer.test)
    assert set(evaluation["metrics"]) == {"accuracy", "f1", "roc_auc", "log_loss"}
    assert evaluation["metrics"]["roc_auc"] > 0.97 and evaluation["metric_notes"] == {}
    assert evaluation["confusion_matrix"]["labels"] == ["benign", "malignant"]
    assert sum(map(sum, evaluation["confusion_matrix"]["matrix"])) == len(cancer.test)
    assert evaluation["model"]["estimator"] == LOGISTIC


def test_champion_is_scored_on_the_same_rows(evaluation: dict[str, Any]) -> None:
    champion = evaluation["champion_metrics"]
    assert set(champion) == set(evaluation["metrics"]) and evaluation["champion_error"] is None
    assert champion != evaluation["metrics"]  # a different model (the forest), same test data
    assert champion["roc_auc"] > 0.9


def test_the_gate_figures_are_paired_on_the_same_rows(evaluation: dict[str, Any], cancer: Split) -> None:
    """Under the image's Python: the section the gate reads, the naive baseline from the training data."""
    figures = Evaluation.model_validate(evaluation).comparison
    assert figures is not None and (figures.rows, figures.resamples, figures.seed) == (len(cancer.test), 2000, 42)
    assert figures.baseline.source == "training data" and figures.baseline.value == "benign"  # the majority class
    roc = figures.metrics["roc_auc"]
    assert roc.challenger == pytest.approx(evaluation["metrics"]["roc_auc"], abs=1e-12)
    assert roc.champion == pytest.approx(evaluation["champion_metrics"]["roc_auc"], abs=1e-12)
    assert roc.baseline == 0.5 and roc.vs_baseline is not None and roc.vs_baseline.low > 0.3
    assert roc.vs_champion is not None and roc.vs_champion.low <= roc.vs_champion.difference <= roc.vs_champion.high
    accuracy = figures.metrics["accuracy"]  # the majority class's share of the held-out rows
    assert accuracy.baseline == pytest.approx((cancer.test["target"] == "benign").mean())


def test_permutation_importance_runs_on_the_images_scikit_learn(evaluation: dict[str, Any], cancer: Split) -> None:
    importance = Evaluation.model_validate(evaluation).importance
    assert importance is not None and importance.metric == "log_loss"  # the settings file's, not the default
    assert importance.orientation == "negated (an error metric)" and importance.rows == len(cancer.test)
    assert len(importance.features) == len(cancer.test.columns) - 1  # every raw column but the target
    assert ("identifier_is_feature", "mean radius") in {(flag.kind, flag.feature) for flag in importance.flags}


def test_behaviour_from_the_config_file_passes(evaluation: dict[str, Any]) -> None:
    behaviour = evaluation["behaviour"]
    assert behaviour["passed"] is True and len(behaviour["tests"]) == 5
    assert {"kind", "name", "passed", "detail"} <= set(behaviour["tests"][0])


def test_train_with_an_empty_channel_fails_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    args = ["--target", "target", "--task", "classification", "--estimator", LOGISTIC]
    completed = run_script(TRAINING_DIR / "train.py", args, sm_env(tmp_path, tmp_path / "empty"), cwd=tmp_path)
    assert completed.returncode == 1
    failure = (tmp_path / "output" / "failure").read_text()
    assert failure.startswith("train.py failed: the train folder") and "holds no .csv or .parquet file" in failure
    assert completed.stderr.strip().splitlines()[-1] == failure
    assert "Traceback" not in completed.stderr  # a data problem, not a bug: the reason alone


def test_train_with_an_unknown_estimator_fails_with_a_reason(tmp_path: Path, cancer: Split) -> None:
    args = ["--target", "target", "--task", "classification", "--estimator", "sklearn.linear_model.Nope"]
    args += ["--params", "{}", "--seed", "1"]
    completed = run_script(TRAINING_DIR / "train.py", args, sm_env(tmp_path, cancer.train_dir), cwd=tmp_path)
    assert completed.returncode == 1
    last_line = completed.stderr.strip().splitlines()[-1]
    assert (
        last_line
        == "train.py failed: estimator 'sklearn.linear_model.Nope': module 'sklearn.linear_model' has no class 'Nope'"
    )
    assert (tmp_path / "output" / "failure").read_text() == last_line
    assert not (tmp_path / "model" / "model.joblib").exists()


def test_evaluate_without_a_model_fails_with_a_reason(tmp_path: Path, cancer: Split) -> None:
    args = ["--model-dir", str(tmp_path / "nothing"), "--test-dir", str(cancer.test_dir)]
    args += ["--output-dir", str(tmp_path / "evaluation")]
    completed = run_script(TRAINING_DIR / "evaluate.py", args, {"SM_OUTPUT_DIR": str(tmp_path / "out")}, cwd=tmp_path)
    assert completed.returncode == 1
    expected = f"evaluate.py failed: no model.joblib or model.tar.gz in {tmp_path / 'nothing'}"
    assert completed.stderr.strip().splitlines()[-1] == expected
    # failure: what the local runner reads; message: a processing job's ExitMessage on AWS
    assert (tmp_path / "out" / "failure").read_text() == (tmp_path / "out" / "message").read_text() == expected
