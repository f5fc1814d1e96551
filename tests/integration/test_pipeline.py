"""`slipstream run` end to end: the bundled config, generated CSVs for each task, and the champion rule."""

from __future__ import annotations

import inspect
import json
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import BundledRun
from tests.integration.pipeline_helpers import cli, customers, project_config, status, write_project

pytestmark = pytest.mark.slow


@pytest.mark.xdist_group("serve")  # the serve fixtures' run (tests/integration/conftest.py): it runs once
def test_bundled_config_trains_gates_and_registers_a_champion(bundled_run: BundledRun) -> None:
    config, code, output = bundled_run.config, bundled_run.exit_code, bundled_run.output
    # The run refused unpickling in the laptop's process (conftest.bundled_run).

    assert code == 0, output
    assert "Quality gate: PASSED" in output
    state = status(config)
    assert state["champion"]["version"] == "1"
    assert state["champion"]["metrics"]["roc_auc"] > 0.97
    assert state["challenger"] is None  # gate.promote = "champion": nothing is staged for an experiment
    assert state["latest"]["staging"] == "champion"
    _version_carries_the_lineage(config)
    (run_dir,) = (config.parent / ".slipstream" / "runs").iterdir()  # the serve tests read it, never run again
    card = (run_dir / "model_card.md").read_text()
    assert "PASSED" in card and "worst radius" in card and "Intended use" in card
    _importance_is_everywhere(run_dir, card, output)
    model_dir = run_dir / "jobs" / "train" / "opt" / "ml" / "model"
    assert {"model.joblib", "metadata.json"} <= {p.name for p in model_dir.iterdir()}
    assert (model_dir / "code" / "inference.py").is_file()
    assert (config.parent / ".slipstream" / "contract.json").is_file()
    _registered_model_is_the_images(next((config.parent / ".slipstream" / "mlartifacts").rglob("MLmodel")).parent)


def _importance_is_everywhere(run_dir: Path, card: str, output: str) -> None:
    """Permutation importance of all 30 raw columns, ranked, in evaluation.json, the card, the report, the summary."""
    from slipstream.documents.evaluation import Evaluation

    evaluation = Evaluation.model_validate_json((run_dir / "evaluation" / "evaluation.json").read_text())
    importance = evaluation.importance
    assert importance is not None and importance.metric == "roc_auc" and len(importance.features) == 30
    assert (importance.seed, importance.repeats, importance.rows_used) == (42, 5, importance.rows)
    # 30 correlated columns and a ROC AUC near 1: no single shuffled column costs much (docs/explanations.md).
    top = importance.features[0]
    assert importance.top_above_noise() is not None and f"| 1 | `{top.feature}` | {top.mean:+.4f}" in card
    assert f"Most important feature above noise: `{importance.top_above_noise().feature}`" in card
    assert "## Feature importance (held-out data)" in card and "Warning" not in card  # nothing listed as sensitive
    assert f"Top features (permutation, roc_auc): {top.feature} {top.mean:+.4f}" in output
    report = (run_dir / "report.html").read_text()
    assert "Feature importance (permutation)" in report and f"<td>{top.feature}</td>" in report
    summary = json.loads((run_dir / "summary.json").read_text())["importance"]
    assert [f["feature"] for f in summary["top"]] == [f.feature for f in importance.features[:3]]
    assert summary["flags"] == []


def _version_carries_the_lineage(path: Path) -> None:
    """The facts an AWS package carries, under the same names (tests/statemachine/lineage_checks.py)."""
    from slipstream import lineage
    from slipstream.config import load_config
    from slipstream.local.registry import Registry

    config = load_config(path)
    info = Registry(config).by_alias("champion")
    assert info is not None
    names = inspect.signature(lineage.lineage_facts).parameters
    assert set(lineage.lineage_facts(**dict.fromkeys(names, ""))) <= set(info.tags)
    assert info.tags[lineage.CONFIG_SHA256] == lineage.config_sha256(config)
    assert info.tags[lineage.TRAINING_JOB] == f"{config.name}-{info.tags[lineage.RUN_ID]}-train"


def _registered_model_is_the_images(folder: Path) -> None:
    """The MLflow model names the image's Python and pins, and its pickle loads and predicts there."""
    import yaml

    from slipstream.local.image_env import image_python

    mlmodel = yaml.safe_load((folder / "MLmodel").read_text())
    assert mlmodel["flavors"]["sklearn"]["sklearn_version"] == "1.4.2"
    assert mlmodel["flavors"]["python_function"]["python_version"].startswith("3.10.")
    assert yaml.safe_load((folder / "python_env.yaml").read_text())["python"].startswith("3.10.")
    requirements = (folder / "requirements.txt").read_text().split()
    assert {"scikit-learn==1.4.2", "numpy==2.1.0", "pandas==2.3.2"} <= set(requirements)
    probe = (
        "import sys, json, cloudpickle, pandas as pd\n"
        "model = cloudpickle.load(open(sys.argv[1], 'rb'))\n"
        "example = json.load(open(sys.argv[2]))\n"
        "print(len(model.predict(pd.DataFrame(example['data'], columns=example['columns']))))\n"
    )
    command = [str(image_python()), "-c", probe, str(folder / "model.pkl"), str(folder / "input_example.json")]
    done = subprocess.run(command, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5"


def test_a_bare_regression_config_with_a_sensible_model_produces_a_champion(tmp_path: Path) -> None:
    """No [gate]: scikit-learn's diabetes data, where a linear model's R² is about 0.45 (the old default bar was
    0.5), must pass on its confident lift over the training mean."""
    body = (
        'name = "diabetes"\n[data]\nsource = "sklearn:diabetes"\ntarget = "target"\ntask = "regression"\n'
        '[model]\nestimator = "sklearn.linear_model.LinearRegression"\n'
    )
    config = write_project(tmp_path, body)
    code, output = cli("run", "--config", str(config))
    assert code == 0, output
    assert "Quality gate: PASSED" in output and "vs the naive baseline (mean" in output
    state = status(config)
    assert state["champion"]["version"] == "1"
    figures = state["champion"]["gate_figures"]
    assert figures["threshold"] is None and figures["baseline"]["verdict"] == "better"
    assert 0.2 < figures["baseline"]["value"] < 0.6 and figures["baseline"]["low"] > 0
    card = (next((tmp_path / ".slipstream" / "runs").iterdir()) / "model_card.md").read_text()
    assert "| baseline |" in card and "no absolute threshold" in card


@pytest.mark.parametrize(
    ("target", "task", "drop", "metric", "floor"),
    [
        ("segment", "classification", ["churned", "lifetime_value"], "roc_auc", 0.8),
        ("lifetime_value", "regression", ["churned", "segment"], "r2", 0.8),
    ],
    ids=["multiclass", "regression"],
)
def test_any_csv_works_without_code_changes(tmp_path, target, task, drop, metric, floor) -> None:
    """The binary case is the first run of test_staged_challenger_then_promote_then_a_worse_model_is_rejected
    (the same project), checked there."""
    config = write_project(tmp_path, project_config(target, task, drop), customers())

    code, output = cli("run", "--config", str(config))

    assert code == 0, output
    assert status(config)["champion"]["metrics"][metric] > floor


def test_installed_entry_point_runs_status(tmp_path: Path, repo_root: Path) -> None:
    config = write_project(tmp_path, project_config("churned", "classification", []), customers())
    result = subprocess.run(
        [str(repo_root / ".venv" / "bin" / "slipstream"), "status", "--config", str(config), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"champion": None, "challenger": None, "latest": None}


def test_staged_challenger_then_promote_then_a_worse_model_is_rejected(tmp_path: Path) -> None:
    body = project_config("churned", "classification", ["segment", "lifetime_value"])
    config = write_project(tmp_path, body, customers())
    code, output = cli("run", "--config", str(config))
    assert code == 0, output  # any CSV works, binary: this project with no model or gate section
    assert status(config)["champion"]["metrics"]["roc_auc"] > 0.9
    config.write_text(body + '\n[gate]\npromote = "challenger"\n', encoding="utf-8")

    code, output = cli("run", "--config", str(config))

    assert code == 0, output
    assert "staged for an experiment" in output
    state = status(config)
    assert (state["champion"]["version"], state["challenger"]["version"]) == ("1", "2")
    # `slipstream promote` now promotes across stages; the experiment's promotion is `slipstream experiment promote`.
    code, output = cli("experiment", "promote", "--config", str(config), "--by", "tester")
    assert code == 0 and "version 2 is now the champion (was version 1)" in output, output
    assert status(config)["champion"]["version"] == "2"
    code, output = cli("experiment", "promote", "--config", str(config))
    assert code == 1 and "no experiment is running" in output
    # The same project goes on (its champion's training is the costly part of each scenario, so they share it).
    _a_worse_model_is_rejected_and_the_champion_stays(config, body, champion="2")


def _a_worse_model_is_rejected_and_the_champion_stays(config: Path, body: str, champion: str) -> None:
    worse = body.replace('[model]\nestimator = ""\n', "") + (
        '[model]\nestimator = "sklearn.dummy.DummyClassifier"\n[gate]\nmetric = "roc_auc"\nthreshold = 0.7\n'
    )
    config.write_text(worse, encoding="utf-8")
    code, output = cli("run", "--config", str(config))

    assert code == 5, output
    assert "REJECTED" in output and "vs champion" in output and ": worse" in output
    assert "it must be better than the baseline" in output  # a constant score is the naive baseline
    state = status(config)
    assert state["champion"]["version"] == champion
    assert state["challenger"] is None  # a rejected version never takes the alias
    latest = state["latest"]
    assert (latest["version"], latest["gate"], latest["staging"]) == (str(int(champion) + 1), "rejected", "none")
    assert any("misses the threshold" in r for r in latest["gate_reasons"])
