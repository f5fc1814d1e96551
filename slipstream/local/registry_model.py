"""A version's MLflow sklearn model, built without unpickling it in the laptop's environment.

The model was trained by the image's Python and scikit-learn; the laptop's may differ, and unpickling across
versions is unsafe (or fails outright). So the image's interpreter loads it (local/in_image/export_model.py)
and writes the predictions for the input example and a cloudpickle of the estimator; here MLflow's own Model
and flavour APIs assemble the model folder from those files, with the image's Python and pins as its
environment, so `mlflow.sklearn.load_model` works wherever those versions are installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from slipstream.errors import SlipstreamError
from slipstream.local import image_zygote
from slipstream.local.image_env import helper_env, image_python
from slipstream.local.parent_death import die_with_parent

EXPORT_SCRIPT = Path(__file__).resolve().parent / "in_image" / "export_model.py"
PICKLED_MODEL = "model.pkl"  # the name mlflow.sklearn gives a pickled model


@dataclass(frozen=True)
class ExportedModel:
    folder: Path  # holds model.pkl
    predictions: list[Any]
    python: str
    sklearn: str
    requirements: list[str]
    build: list[str]


def export_in_image(model_dir: Path, example: Any, out_dir: Path) -> ExportedModel:
    out_dir.mkdir(parents=True, exist_ok=True)
    example.to_parquet(out_dir / "example.parquet")  # parquet keeps the dtypes the signature describes
    command = [str(image_python()), str(EXPORT_SCRIPT), str(model_dir), str(out_dir / "example.parquet"), str(out_dir)]
    env = image_zygote.job_env(helper_env())
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, preexec_fn=die_with_parent())
    if done.returncode != 0:
        raise SlipstreamError(
            f"could not read the model in {model_dir} with the image's Python",
            details=done.stderr.strip().splitlines()[-10:],
        )
    versions = json.loads((out_dir / "versions.json").read_text(encoding="utf-8"))
    predictions = json.loads((out_dir / "predictions.json").read_text(encoding="utf-8"))
    return ExportedModel(
        out_dir, predictions, versions["python"], versions["sklearn"], versions["requirements"], versions["build"]
    )


class PrebuiltSklearnFlavor:
    """The `flavor` for mlflow.models.Model.log: writes the sklearn flavour from an exported model, the way
    mlflow.sklearn.save_model lays it out, without holding the estimator."""

    def __init__(self, exported: ExportedModel, requirements: list[str]) -> None:
        self.exported, self.requirements = exported, requirements

    def save_model(self, path: str, mlflow_model: Any, signature: Any = None, input_example: Any = None, **_: Any):
        from mlflow import pyfunc
        from mlflow.models.utils import _save_example  # MLflow's own example writer (mlflow is pinned exactly)

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.exported.folder / PICKLED_MODEL, folder / PICKLED_MODEL)
        mlflow_model.signature = signature
        if input_example is not None:
            _save_example(mlflow_model, input_example, path)
        pyfunc.add_to_model(
            mlflow_model,
            loader_module="mlflow.sklearn",
            model_path=PICKLED_MODEL,
            conda_env="conda.yaml",
            python_env="python_env.yaml",
        )
        mlflow_model.flavors["python_function"]["python_version"] = self.exported.python  # not the laptop's
        mlflow_model.add_flavor(
            "sklearn",
            pickled_model=PICKLED_MODEL,
            sklearn_version=self.exported.sklearn,
            serialization_format="cloudpickle",
            code=None,
        )
        mlflow_model.save(str(folder / "MLmodel"))
        self._write_environment(folder)

    def _write_environment(self, folder: Path) -> None:
        python, build = self.exported.python, self.exported.build
        (folder / "requirements.txt").write_text("\n".join(self.requirements) + "\n", encoding="utf-8")
        python_env = {"python": python, "build_dependencies": build, "dependencies": ["-r requirements.txt"]}
        conda = {
            "name": "mlflow-env",
            "channels": ["conda-forge"],
            "dependencies": [f"python={python}", "pip", {"pip": self.requirements}],
        }
        for name, payload in (("python_env.yaml", python_env), ("conda.yaml", conda)):
            (folder / name).write_text(yaml.safe_dump(payload, default_flow_style=False), encoding="utf-8")


def log_sklearn_model(mlflow: Any, model_dir: Path, example: Any, registered_name: str, extra: list[str]) -> Any:
    """Log and register the model as an MLflow sklearn model (signature + input example); returns ModelInfo."""
    from mlflow.models import Model, infer_signature

    with tempfile.TemporaryDirectory(prefix="slipstream-export-") as scratch:
        exported = export_in_image(model_dir, example, Path(scratch))
        signature = infer_signature(example, _as_array(exported.predictions))
        return Model.log(
            artifact_path=None,  # deprecated in favour of name, yet still a required argument
            name="model",
            flavor=PrebuiltSklearnFlavor(exported, [*extra, *exported.requirements]),
            registered_model_name=registered_name,
            signature=signature,
            input_example=example,
            # MLflow would load the model here to check the example can be served: not in this environment.
            validate_serving_input=False,
        )


def _as_array(values: list[Any]) -> Any:
    import numpy as np

    return np.asarray(values)
