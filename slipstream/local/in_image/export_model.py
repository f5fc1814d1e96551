"""Run by the image's interpreter: load model.joblib where it was trained, write what the registry needs.

usage: python export_model.py <model dir> <example.parquet> <out dir>
writes <out>/model.pkl (cloudpickle, MLflow's sklearn flavour format), <out>/predictions.json (the model's
predictions for the input example) and <out>/versions.json (the Python and the distributions that made them,
for the MLflow model's environment).
"""

from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from pathlib import Path

import cloudpickle
import joblib
import pandas as pd
import sklearn

# What loading the pickled pipeline needs (MLflow's sklearn flavour adds mlflow itself), and what builds it.
RUNTIME = ("scikit-learn", "numpy", "scipy", "pandas", "joblib", "threadpoolctl", "cloudpickle")
BUILD = ("pip", "setuptools", "wheel")


def _installed(names: tuple[str, ...]) -> list[str]:
    pins = []
    for name in names:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return pins


def main(model_dir: Path, example_path: Path, out_dir: Path) -> None:
    model = joblib.load(model_dir / "model.joblib")
    predictions = model.predict(pd.read_parquet(example_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "model.pkl").open("wb") as file:
        cloudpickle.dump(model, file)
    (out_dir / "predictions.json").write_text(json.dumps(predictions.tolist()), encoding="utf-8")
    versions = {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "requirements": _installed(RUNTIME),
        "build": _installed(BUILD),
    }
    (out_dir / "versions.json").write_text(json.dumps(versions), encoding="utf-8")


if __name__ == "__main__":
    main(*(Path(arg) for arg in sys.argv[1:4]))
