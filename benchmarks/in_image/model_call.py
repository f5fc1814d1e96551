"""Run by the image's interpreter (benchmarks/serving.py starts it): the model call as the container makes it.

usage: python model_call.py <model dir> <data.csv> <target> <seconds per point> <rows>...
Prints one JSON object: per row count, transform_fn (JSON body in, JSON out: inference.py as the endpoint runs
it) and the estimator alone on already-preprocessed rows (the floor), as seconds per call; and the one-row
call of the same estimator behind the name-based ColumnTransformer earlier models were trained with.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def per_call(call: Any, seconds: float) -> float:
    call()  # warm: first-call caches (numpy dispatch, scikit-learn's config) are not the steady state
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or calls < 5:
        call()
        calls += 1
    return elapsed / calls


def name_based(pipeline: Any, features: list[dict[str, str]]) -> Pipeline:
    """The same estimator behind the Pipeline as training built it before positional columns."""
    numeric = [f["name"] for f in features if f["kind"] == "numeric"]
    categorical = [f["name"] for f in features if f["kind"] == "categorical"]
    parts = [("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric)]
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    parts.append(("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), categorical))
    return Pipeline([("preprocess", ColumnTransformer([p for p in parts if p[2]])), ("estimator", clone(pipeline[-1]))])


def main(model_dir: Path, data_path: Path, target: str, seconds: float, sizes: list[int]) -> None:
    spec = importlib.util.spec_from_file_location("inference", model_dir / "code" / "inference.py")
    assert spec is not None and spec.loader is not None
    inference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(inference)
    model = inference.model_fn(str(model_dir))
    pipeline, features = model["pipeline"], model["metadata"]["features"]
    data = pd.read_csv(data_path)
    instances = data.drop(columns=target).astype(object).where(data.drop(columns=target).notna(), None)
    records = instances.to_dict(orient="records")
    result: dict[str, Any] = {"sizes": {}}
    for size in sizes:
        rows = (records * (size // len(records) + 1))[:size]
        body = json.dumps({"instances": rows}).encode()
        prepared = pipeline[:-1].transform(model["input"].model_input(rows))
        estimator = pipeline[-1]
        floor = getattr(estimator, "predict_proba", estimator.predict)
        result["sizes"][str(size)] = {
            "call": per_call(lambda: inference.transform_fn(model, body, "application/json", None), seconds),  # noqa: B023
            "estimator": per_call(lambda: floor(prepared), seconds),  # noqa: B023
        }
    old = name_based(pipeline, features)
    frame_plan = inference.InputPlan(features, None)
    frame_plan.takes_frames = True  # the old model's request typing: a DataFrame with typed columns
    labelled = data[data[target].notna()]
    old.fit(frame_plan.model_input(labelled.drop(columns=target).to_dict(orient="records")), labelled[target])
    old_model = {**model, "pipeline": old, "input": inference.InputPlan(features, old)}
    one = json.dumps({"instances": records[:1]}).encode()
    result["name_based_one_row"] = per_call(
        lambda: inference.transform_fn(old_model, one, "application/json", None), seconds
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], float(sys.argv[4]), [int(n) for n in sys.argv[5:]])
