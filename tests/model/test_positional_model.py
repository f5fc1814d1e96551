"""Positional columns (model_pipeline.build_pipeline on model_array input) against the name-based Pipeline that
earlier models were trained as: the same predictions on held-out rows, in process and through inference.py,
which must keep serving the older kind (restored accounts and registries hold such model.joblib files)."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from model_pipeline import FrameModel, as_model_input, build_pipeline, describe_features, model_array, takes_frames
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tests.model.model_suite import INFERENCE_SCRIPT, Split, load_module


def name_based_pipeline(features: list[dict[str, str]], estimator: Any) -> Pipeline:
    """The Pipeline as training built it before positional columns (kept here as the reference)."""
    numeric = [f["name"] for f in features if f["kind"] == "numeric"]
    categorical = [f["name"] for f in features if f["kind"] == "categorical"]
    transformers = []
    if numeric:
        transformers.append(("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric))
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        transformers.append(
            ("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), categorical)
        )
    return Pipeline([("preprocess", ColumnTransformer(transformers)), ("estimator", estimator)])


CASES = {
    "cancer": (lambda: LogisticRegression(C=1.0, max_iter=1000), "classification"),
    "iris": (lambda: LogisticRegression(max_iter=1000), "classification"),
    "housing": (LinearRegression, "regression"),  # a categorical column, NaN in numeric and categorical
}


@pytest.fixture(scope="module")
def serving() -> ModuleType:
    return load_module(INFERENCE_SCRIPT, "positional_inference")


def _both_kinds(split: Split, estimator: Any) -> tuple[list[dict[str, str]], Pipeline, FrameModel]:
    features = describe_features(split.train, split.target)
    x = as_model_input(split.train, features)
    old = name_based_pipeline(features, estimator()).fit(x, split.train[split.target])
    new = FrameModel(build_pipeline(features, estimator()), features).fit(x, split.train[split.target])
    return features, old, new


def _model_dir(root: Path, pipeline: Pipeline, features: list[dict[str, str]], task: str) -> Path:
    root.mkdir(parents=True)
    joblib.dump(pipeline, root / "model.joblib")
    classes = [str(c) for c in pipeline.classes_] if task == "classification" else None
    metadata = {"task": task, "target": "y", "features": features, "classes": classes}
    (root / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return root


def _outputs(pipeline: Any, x: Any, task: str) -> tuple[np.ndarray, ...]:
    if task == "classification":
        return np.asarray(pipeline.predict(x)), np.asarray(pipeline.predict_proba(x))
    return (np.asarray(pipeline.predict(x)),)


@pytest.mark.parametrize("dataset", sorted(CASES))
def test_positional_columns_predict_exactly_what_names_did(dataset: str, request: pytest.FixtureRequest) -> None:
    split: Split = request.getfixturevalue(dataset)
    estimator, task = CASES[dataset]
    features, old, new = _both_kinds(split, estimator)
    held_out = as_model_input(split.test, features)
    assert takes_frames(old) and not takes_frames(new.pipeline)  # fitted on the array: no names checked per call
    for before, after in zip(_outputs(old, held_out, task), _outputs(new, held_out, task), strict=True):
        np.testing.assert_array_equal(before, after)
    # The array training fits on is the one the Pipeline is called with: the same outputs without the wrapper.
    np.testing.assert_array_equal(new.pipeline.predict(model_array(held_out, features)), old.predict(held_out))


@pytest.mark.parametrize("dataset", sorted(CASES))
def test_inference_serves_both_kinds_with_the_same_answers(
    dataset: str, request: pytest.FixtureRequest, serving: ModuleType, tmp_path: Path
) -> None:
    split: Split = request.getfixturevalue(dataset)
    estimator, task = CASES[dataset]
    features, old, new = _both_kinds(split, estimator)
    rows = split.test.drop(columns=split.target).head(40)
    # JSON as a client sends it: NaN as null; numbers as text for some rows (the careful path, not the fast one).
    numbers = [{k: None if pd.isna(v) else v for k, v in row.items()} for row in rows.to_dict(orient="records")]
    as_text = [dict(row) for row in numbers]
    for instance in as_text[::7]:
        instance.update({k: str(v) for k, v in instance.items() if isinstance(v, float)})
    answers = []
    for kind, pipeline in (("names", old), ("positions", new.pipeline)):
        model = serving.model_fn(str(_model_dir(tmp_path / kind, pipeline, features, task)))
        assert model["input"].takes_frames is (kind == "names")
        for instances in (numbers, as_text):  # all numbers: one numpy call where every feature is numeric
            body = json.dumps({"instances": instances})
            answers.append(json.loads(serving.transform_fn(model, body, "application/json", None)[0]))
    assert answers[0] == answers[1] == answers[2] == answers[3]
    expected = _outputs(old, as_model_input(rows, features), task)
    assert answers[3]["predictions"] == expected[0].tolist()


@pytest.mark.parametrize("dataset", sorted(CASES))
def test_training_fits_the_model_an_object_array_fit_gives(dataset: str, request: pytest.FixtureRequest) -> None:
    """Training hands mixed features over as a frame with positional labels (model_frame: no boxed floats); the
    Pipeline it fits must be the one a fit on model_array gives, bit for bit, called as inference.py calls it."""
    split: Split = request.getfixturevalue(dataset)
    estimator, task = CASES[dataset]
    features, _, new = _both_kinds(split, estimator)
    x = as_model_input(split.train, features)
    on_array = build_pipeline(features, estimator()).fit(model_array(x, features), split.train[split.target])
    assert not takes_frames(new.pipeline) and not takes_frames(on_array)
    np.testing.assert_array_equal(new.pipeline[-1].coef_, on_array[-1].coef_)
    held_out = model_array(as_model_input(split.test, features), features)
    for before, after in zip(_outputs(on_array, held_out, task), _outputs(new.pipeline, held_out, task), strict=True):
        np.testing.assert_array_equal(before, after)
