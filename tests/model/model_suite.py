"""Helpers for the model suite: datasets as SageMaker channels, running the scripts, loading modules by path.

Scripts run in a subprocess only where the process boundary is what is tested (flags, SM_* env, exit
code, failure file, a serving process without training/ on its path); everything else calls the same
functions in process, because importing pandas and scikit-learn costs seconds per process.
"""

from __future__ import annotations

import importlib.util
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split

from slipstream.local.image_env import image_python

REPO = Path(__file__).resolve().parents[2]
TRAINING_DIR = REPO / "training"
INFERENCE_SCRIPT = REPO / "inference" / "inference.py"
LOGISTIC = "sklearn.linear_model.LogisticRegression"


@dataclass(frozen=True)
class Split:
    """A dataset's train and test parts, as frames and as channel folders holding one CSV each."""

    train: pd.DataFrame
    test: pd.DataFrame
    train_dir: Path
    test_dir: Path
    target: str


def write_split(root: Path, frame: pd.DataFrame, target: str, *, stratify: bool) -> Split:
    train, test = train_test_split(frame, test_size=0.25, random_state=0, stratify=frame[target] if stratify else None)
    for name, part in (("train", train), ("test", test)):
        (root / name).mkdir(parents=True, exist_ok=True)
        part.to_csv(root / name / f"{name}.csv", index=False)
    return Split(train, test, root / "train", root / "test", target)


def sm_env(root: Path, channel: Path) -> dict[str, str]:
    """The environment SageMaker gives a training job, rooted at `root` instead of /opt/ml."""
    return {
        "SM_MODEL_DIR": str(root / "model"),
        "SM_CHANNEL_TRAIN": str(channel),
        "SM_OUTPUT_DATA_DIR": str(root / "output" / "data"),
        "SM_OUTPUT_DIR": str(root / "output"),
    }


def run_script(script: Path, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a script as SageMaker would: the image's interpreter and `env`, nothing of this process's environment."""
    command = [str(image_python()), str(script), *args]
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONDONTWRITEBYTECODE": "1", **env}  # as the image sets
    return subprocess.run(command, env=clean, cwd=cwd, capture_output=True, text=True, check=False)


def load_module(path: Path, name: str) -> ModuleType:
    """Import a file under a unique name, as the serving container imports code/inference.py."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_in_process(
    root: Path, split: Split, task: str, estimator: str, params: dict[str, Any], seed: int = 42
) -> Path:
    """training_run.train, the function train.py calls, without the process start-up cost."""
    import training_run

    training_run.train(
        target=split.target,
        task=task,
        estimator=estimator,
        params=params,
        seed=seed,
        channel_dir=split.train_dir,
        model_dir=root / "model",
        output_data_dir=root / "output" / "data",
        script_dir=TRAINING_DIR,
    )
    return root / "model"


class NoiseSensitiveClassifier(ClassifierMixin, BaseEstimator):
    """A deliberately fragile model: the label is the parity of its (scaled) inputs' sum at 0.01 resolution,
    so measurement noise of a few hundredths of a std flips about half of the predictions."""

    def fit(self, X: Any, y: Any) -> NoiseSensitiveClassifier:
        self.classes_ = np.unique(y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        parity = np.floor(np.asarray(X, dtype=float).sum(axis=1) * 100).astype(int) % 2
        return self.classes_[parity]


def train_in_image(root: Path, channel: Path, target: str = "target") -> Path:
    """A LogisticRegression trained by train.py on the image's Python and scikit-learn: what an endpoint can
    load (a model pickled by the laptop's newer scikit-learn cannot be unpickled in the image)."""
    from slipstream.sourcedir import extract_sourcedir

    code = extract_sourcedir(root / "code")
    args = ["--target", target, "--task", "classification", "--estimator", LOGISTIC]
    args += ["--params", '{"max_iter": 1000}', "--seed", "42"]
    done = run_script(code / "train.py", args, sm_env(root, channel), cwd=code)
    assert done.returncode == 0, done.stderr
    return root / "model"
