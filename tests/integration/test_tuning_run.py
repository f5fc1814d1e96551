"""`slipstream run` with [tuning]: the search runs in the training job, every trial is an MLflow child run of the
model's run, and the chosen parameters are in the model card, the registry and the run summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.pipeline_helpers import cli, customers, project_config, write_project

pytestmark = pytest.mark.slow

TUNING = """
[tuning]
trials = 4
cv_folds = 3

[tuning.space]
max_depth = { low = 2, high = 8 }
criterion = { choices = ["gini", "entropy"] }
"""


def test_a_tuned_run_records_every_trial_and_registers_the_best(tmp_path: Path) -> None:
    body = project_config("churned", "classification", ["segment"], estimator="sklearn.tree.DecisionTreeClassifier")
    config = write_project(tmp_path, body + TUNING, customers())

    code, output = cli("run", "--config", str(config))

    assert code == 0, output
    assert "Hyperparameter search: tuned 4 trial(s) with 3-fold CV on 320 training rows" in output
    run_dir = next((tmp_path / ".slipstream" / "runs").iterdir())
    summary = json.loads((run_dir / "summary.json").read_text())["tuning"]
    chosen = summary["best"]["params"]
    assert set(chosen) == {"max_depth", "criterion"} and summary["cv_rows"] == 320  # 400 rows, 20% held out
    card = (run_dir / "model_card.md").read_text()
    assert "## Hyperparameter search" in card and f"'max_depth': {chosen['max_depth']}" in card
    _trials_are_child_runs(tmp_path, chosen)


def _trials_are_child_runs(project: Path, chosen: dict[str, object]) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{project / '.slipstream' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("customers")
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(parents) == 1 and len(children) == 4
    assert all("cv_roc_auc" in r.data.metrics and r.info.status == "FINISHED" for r in children)
    best = [r for r in children if r.data.tags["tuning.best"] == "True"]
    assert len(best) == 1 and best[0].data.params["param.max_depth"] == str(chosen["max_depth"])
    assert parents[0].data.params["param.max_depth"] == str(chosen["max_depth"])  # the registered run's own params


def test_a_bad_space_is_refused_before_any_trial_runs(tmp_path: Path) -> None:
    body = project_config("churned", "classification", ["segment"], estimator="sklearn.tree.DecisionTreeClassifier")
    config = write_project(tmp_path, body + TUNING.replace("criterion", "depth_limit"), customers())

    code, output = cli("run", "--config", str(config))

    assert code == 2, output
    text = " ".join(output.split())  # the console wraps long lines
    assert "tuning.space.depth_limit: sklearn.tree.DecisionTreeClassifier has no parameter 'depth_limit'" in text
    assert not (tmp_path / ".slipstream" / "runs").exists()  # refused before ValidateData, let alone a trial
