"""Every bad input gets a clear message and a non-zero exit; nothing is registered."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.integration.pipeline_helpers import cli, customers, project_config, status, write_project

CHURN = project_config("churned", "classification", ["segment", "lifetime_value"])


def _run(config: Path) -> tuple[int, str]:
    code, output = cli("run", "--config", str(config))
    assert "Traceback" not in output
    return code, " ".join(output.split())  # rich wraps long lines; compare on single spaces


def _nothing_registered(config: Path) -> None:
    assert status(config) == {"champion": None, "challenger": None, "latest": None}


def test_missing_file(tmp_path: Path) -> None:
    config = write_project(tmp_path, CHURN)
    code, output = _run(config)
    assert code == 3 and "data.csv" in output and "not found" in output.lower()
    _nothing_registered(config)


def test_empty_file(tmp_path: Path) -> None:
    config = write_project(tmp_path, CHURN)
    (tmp_path / "data.csv").write_text("")
    code, output = _run(config)
    assert code == 3 and "empty" in output.lower()
    _nothing_registered(config)


def test_target_column_missing(tmp_path: Path) -> None:
    config = write_project(tmp_path, CHURN.replace('"churned"', '"churn"'), customers())
    code, output = _run(config)
    assert code == 3 and "churn" in output and "spend" in output  # names the column and lists what exists


def test_non_numeric_regression_target(tmp_path: Path) -> None:
    config = write_project(tmp_path, project_config("churned", "regression", ["segment"]), customers())
    code, output = _run(config)
    assert code == 3 and "numeric" in output and "churned" in output
    _nothing_registered(config)


def test_single_class_target(tmp_path: Path) -> None:
    frame = customers()
    frame["churned"] = "no"
    config = write_project(tmp_path, CHURN, frame)
    code, output = _run(config)
    assert code == 3 and "class" in output and "'no'" in output
    _nothing_registered(config)


def test_all_nan_feature(tmp_path: Path) -> None:
    frame = customers()
    frame["tenure"] = np.nan
    config = write_project(tmp_path, CHURN, frame)
    code, output = _run(config)
    assert code == 3 and "tenure" in output
    _nothing_registered(config)


def test_config_typo(tmp_path: Path) -> None:
    config = write_project(tmp_path, CHURN.replace("task =", "taks ="), customers())
    code, output = _run(config)
    assert code == 2 and "data.taks" in output and "unknown key" in output


@pytest.mark.parametrize(
    ("estimator", "expected"),
    [
        ("sklearn.ensemble.NoSuchForest", "has no attribute 'NoSuchForest'"),
        ("nosuchpackage.Model", "cannot import module 'nosuchpackage'"),
        ("sklearn.linear_model.Ridge", "is a regressor, but data.task is 'classification'"),
    ],
)
def test_estimator_that_cannot_work(tmp_path: Path, estimator: str, expected: str) -> None:
    body = project_config("churned", "classification", ["segment", "lifetime_value"], estimator=estimator)
    config = write_project(tmp_path, body, customers())
    code, output = _run(config)
    assert code == 2 and "model.estimator" in output and expected in output
    _nothing_registered(config)


def test_unknown_estimator_params(tmp_path: Path) -> None:
    body = CHURN + '\n[model]\nestimator = "sklearn.linear_model.LogisticRegression"\nparams = { depth = 3 }\n'
    config = write_project(tmp_path, body, customers())
    code, output = _run(config)
    assert code == 2 and "model.params" in output and "depth" in output


@pytest.mark.slow  # a whole run, up to the training job
def test_training_script_crash_shows_its_stderr(tmp_path: Path) -> None:
    # Each value is valid alone (the parameter check before the run passes them); only fit() refuses the pair,
    # inside the training job. (C = -1 used to crash here: it is now refused before the run starts.)
    params = '{ solver = "liblinear", penalty = "elasticnet" }'
    body = CHURN + f'\n[model]\nestimator = "sklearn.linear_model.LogisticRegression"\nparams = {params}\n'
    config = write_project(tmp_path, body, customers())
    code, output = _run(config)
    assert code == 4 and "Train failed" in output and "stderr:" in output and "elasticnet" in output
    _nothing_registered(config)
    assert list((tmp_path / ".slipstream" / "runs").glob("*.failed"))


@pytest.mark.slow
def test_schema_drift_against_the_contract(tmp_path: Path) -> None:
    config = write_project(tmp_path, CHURN, customers())
    assert _run(config)[0] == 0
    drifted = customers(seed=1).drop(columns=["region"])
    drifted["spend"] = drifted["spend"] * 100
    drifted.to_csv(tmp_path / "data.csv", index=False)

    code, output = _run(config)

    assert code == 3 and "data contract violated" in output
    assert "region" in output and "spend" in output and "delete" in output
    assert status(config)["champion"]["version"] == "1"
    assert status(config)["latest"]["version"] == "1"
