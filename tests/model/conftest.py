"""Fixtures for the model suite: datasets written as channels, models trained once per session."""

from __future__ import annotations

import subprocess
import tarfile
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_iris

from slipstream.config import BehaviourConfig
from slipstream.sourcedir import PROJECT_ROOT, build_sourcedir
from tests.model.model_suite import LOGISTIC, REPO, Split, run_script, sm_env, train_in_process, write_split

# The image-trained models and the evaluation job are session/module fixtures that each start image-Python
# processes: spread over two workers, each worker trained and evaluated them again.
IMAGE_FIXTURES = frozenset({"lr_run", "lr_model", "forest_model"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if IMAGE_FIXTURES & set(getattr(item, "fixturenames", ())) and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group("model-images"))


# --- datasets -------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def cancer(tmp_path_factory: pytest.TempPathFactory) -> Split:
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.copy()
    frame["target"] = data.target_names[data.target]  # "malignant" / "benign", as slipstream's loader does
    return write_split(tmp_path_factory.mktemp("cancer"), frame, "target", stratify=True)


@pytest.fixture(scope="session")
def iris(tmp_path_factory: pytest.TempPathFactory) -> Split:
    data = load_iris(as_frame=True)
    frame = data.frame.copy()
    frame["target"] = data.target_names[data.target]
    return write_split(tmp_path_factory.mktemp("iris"), frame, "target", stratify=True)


@pytest.fixture(scope="session")
def housing(tmp_path_factory: pytest.TempPathFactory) -> Split:
    """Regression with a categorical column and missing values in numeric and categorical features."""
    rng = np.random.default_rng(7)
    n = 600
    frame = pd.DataFrame(
        {
            "size": rng.normal(100, 20, n),
            "age": rng.uniform(0, 50, n),
            "district": rng.choice(["north", "south", "east"], n),
        }
    )
    effect = frame["district"].map({"north": 40.0, "south": 0.0, "east": -30.0})
    frame["price"] = 3 * frame["size"] - 1.5 * frame["age"] + effect + rng.normal(0, 10, n)
    frame.loc[rng.random(n) < 0.1, "size"] = np.nan
    frame.loc[rng.random(n) < 0.1, "district"] = np.nan
    return write_split(tmp_path_factory.mktemp("housing"), frame, "price", stratify=False)


@pytest.fixture(scope="session")
def behaviour_spec() -> dict[str, Any]:
    """The [behaviour] section of the repository's slipstream.toml, as the runner writes behaviour.json."""
    raw = tomllib.loads((REPO / "slipstream.toml").read_text(encoding="utf-8"))
    return BehaviourConfig.model_validate(raw.get("behaviour", {})).model_dump(mode="json")


# --- models -----------------------------------------------------------------------------------------------
def _image_trained(root: Path, split: Split, estimator: str, params: str) -> subprocess.CompletedProcess[str]:
    """`python train.py` under the image's interpreter, in the extracted sourcedir, as the toolkit runs it."""
    code_dir = root / "code"
    with tarfile.open(build_sourcedir(PROJECT_ROOT, root / "sourcedir")) as tar:
        tar.extractall(code_dir, filter="data")
    args = ["--target", split.target, "--task", "classification", "--estimator", estimator]
    args += ["--params", params, "--seed", "42"]
    completed = run_script(code_dir / "train.py", args, sm_env(root, split.train_dir), cwd=code_dir)
    assert completed.returncode == 0, completed.stderr
    return completed


@pytest.fixture(scope="session")
def lr_run(tmp_path_factory: pytest.TempPathFactory, cancer: Split) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """LogisticRegression trained by `python train.py` on the image's Python, in an /opt/ml/code-like sourcedir."""
    root = tmp_path_factory.mktemp("lr")
    return root, _image_trained(root, cancer, LOGISTIC, '{"C": 1.0, "max_iter": 1000}')


@pytest.fixture(scope="session")
def lr_model(lr_run: tuple[Path, Any]) -> Path:
    """The image-trained model: opened only by scripts under the image's interpreter."""
    return lr_run[0] / "model"


@pytest.fixture(scope="session")
def lr_model_here(tmp_path_factory: pytest.TempPathFactory, cancer: Split) -> Path:
    """The same model trained in this process by the function train.py calls, for tests that open the model in
    process: the laptop's scikit-learn never unpickles a model the image's trained."""
    return train_in_process(
        tmp_path_factory.mktemp("lr-here"), cancer, "classification", LOGISTIC, {"C": 1.0, "max_iter": 1000}
    )


@pytest.fixture(scope="session")
def forest_model(tmp_path_factory: pytest.TempPathFactory, cancer: Split) -> Path:
    """A second image-trained model (the champion in evaluation tests)."""
    root = tmp_path_factory.mktemp("forest")
    _image_trained(root, cancer, "sklearn.ensemble.RandomForestClassifier", '{"n_estimators": 30, "max_depth": 4}')
    return root / "model"
