"""The model: preprocessing for numeric and categorical features in front of any scikit-learn estimator.

The fitted Pipeline is pickled into model.joblib and loaded by inference.py in the serving container, where
only scikit-learn, pandas and numpy exist: so the Pipeline holds scikit-learn objects only, and input
preparation (`as_model_input`, `model_array`) is plain code that inference.py mirrors.

The Pipeline takes a 2-D numpy array with the features in model order (metadata.json "features") and selects
its columns by position: a one-row call then costs about what the estimator costs, where a DataFrame paid
pandas' column selection and dtype checks per transformer (docs/performance.md#the-model-call). Models trained
before took a DataFrame and select by name; `FrameModel` and inference.py accept both kinds.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sm_paths import JobError

NUMERIC, CATEGORICAL = "numeric", "categorical"


def feature_kind(column: pd.Series) -> str:
    # bool is numeric to pandas, but True/False are categories, not magnitudes.
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return NUMERIC
    return CATEGORICAL


def describe_features(data: pd.DataFrame, target: str) -> list[dict[str, str]]:
    """[{"name", "kind"}] for every column except the target, in file order."""
    return [{"name": str(c), "kind": feature_kind(data[c])} for c in data.columns if c != target]


def as_model_input(data: pd.DataFrame, features: list[dict[str, str]]) -> pd.DataFrame:
    """The feature columns in model order; categorical values as text so 1, "1" and True/"True" agree.

    inference.py applies the same rule to request bodies (it cannot import this module).
    """
    missing = [f["name"] for f in features if f["name"] not in data.columns]
    if missing:
        raise JobError(f"the data lacks the model's feature column(s) {missing}")
    columns = {}
    for feature in features:
        column = data[feature["name"]]
        # Numeric as float, as inference.py sends it: nullable Int64's pd.NA becomes NaN, which the imputer fills.
        categorical = feature["kind"] == CATEGORICAL
        columns[feature["name"]] = _as_text(column) if categorical else column.astype(float, copy=False)
    return pd.DataFrame(columns, index=data.index)


def model_array(frame: pd.DataFrame, features: list[dict[str, str]]) -> np.ndarray:
    """`as_model_input`'s frame as the array the Pipeline is fitted on: float when every feature is numeric,
    else object (numbers as float, categories as text, NaN for missing), as inference.py builds it per request."""
    numeric = all(f["kind"] == NUMERIC for f in features)
    return frame.to_numpy(dtype=float if numeric else object)


def model_frame(frame: pd.DataFrame, features: list[dict[str, str]]) -> Any:
    """What the training side hands the Pipeline: `model_array` when every feature is numeric; for mixed features,
    `as_model_input`'s frame with its columns renamed to their positions. A mixed object array boxes every number
    into a Python float (about 3x the memory of the float column, the largest allocation of a 1M-row Train), and
    the imputers convert it back. The ColumnTransformer selects the same positions from either and scikit-learn
    records no feature names for integer column labels, so the fitted Pipeline is the same one (tested equal to
    a fit on `model_array`) and still takes the object array inference.py builds."""
    if all(f["kind"] == NUMERIC for f in features):
        return model_array(frame, features)
    return frame.set_axis(range(frame.shape[1]), axis=1, copy=False)


def takes_frames(pipeline: Any) -> bool:
    """True for a Pipeline fitted on a DataFrame (selects columns by name: trained before positional columns)."""
    return getattr(pipeline, "feature_names_in_", None) is not None


class FrameModel:
    """A fitted Pipeline of either kind, called with `as_model_input` frames (the training side keeps named
    columns for importance and behaviour checks); only the Pipeline itself is ever pickled."""

    def __init__(self, pipeline: Any, features: list[dict[str, str]]) -> None:
        self.pipeline, self.features = pipeline, features

    def _input(self, frame: pd.DataFrame) -> Any:
        return frame if takes_frames(self.pipeline) else model_frame(frame, self.features)

    def fit(self, frame: pd.DataFrame, y: Any) -> FrameModel:
        self.pipeline.fit(model_frame(frame, self.features), y)  # new models are always positional
        return self

    def predict(self, frame: pd.DataFrame) -> Any:
        return self.pipeline.predict(self._input(frame))

    def outputs(self, frame: pd.DataFrame) -> tuple[Any, Any]:
        """(predict, predict_proba or None) from one pass of the preprocessing, which is what Pipeline.predict and
        Pipeline.predict_proba each run before the estimator: the same values for half the transforms."""
        transformed = self.pipeline[:-1].transform(self._input(frame))
        estimator = self.pipeline[-1]
        proba = estimator.predict_proba(transformed) if hasattr(estimator, "predict_proba") else None
        return estimator.predict(transformed), proba

    def __getattr__(self, name: str) -> Any:
        # predict_proba exists only when the estimator has it (eval_metrics checks with hasattr).
        if name in ("predict_proba", "decision_function"):
            method = getattr(self.pipeline, name)
            return lambda frame: method(self._input(frame))
        if name in ("classes_", "named_steps", "steps"):
            return getattr(self.pipeline, name)
        raise AttributeError(name)


def _as_text(column: pd.Series) -> pd.Series:
    """Every present value as str(value), every missing one (None, NaN, pd.NA, NaT) as NaN: SimpleImputer only
    recognises NaN in object columns. Whole-column operations: a per-value Python call cost seconds at 1M rows."""
    values = column.to_numpy(dtype=object, copy=True)
    missing = pd.isna(values)
    values[missing] = np.nan
    if pd.api.types.infer_dtype(values, skipna=True) != "string":  # text already is its own str()
        present = ~missing
        values[present] = [str(value) for value in values[present]]  # not numpy's astype(str): it decodes bytes
    text = pd.Series(values, index=column.index, name=column.name)
    return text.astype(float) if len(text) and missing.all() else text  # as Series.map typed an all-missing column


def import_estimator(path: str) -> type:
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise JobError(f"estimator {path!r} is not an import path like sklearn.linear_model.LogisticRegression")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise JobError(f"estimator {path!r}: cannot import module {module_name!r} ({error})") from error
    estimator_class = getattr(module, class_name, None)
    if not inspect.isclass(estimator_class):
        raise JobError(f"estimator {path!r}: module {module_name!r} has no class {class_name!r}")
    return estimator_class


def make_estimator(path: str, params: dict[str, Any], seed: int, task: str) -> Any:
    """Instantiate the estimator; seed it through `random_state` unless the params already do."""
    estimator_class = import_estimator(path)
    try:
        estimator = estimator_class(**params)
    except TypeError as error:
        raise JobError(f"estimator {path!r} rejects the params {params}: {error}") from error
    if not hasattr(estimator, "fit") or not hasattr(estimator, "predict"):
        raise JobError(f"{path!r} is not an estimator: it has no fit/predict")
    if task == "classification" and is_regressor(estimator):
        raise JobError(f"{path!r} is a regressor, but the task is classification")
    if task == "regression" and is_classifier(estimator):
        raise JobError(f"{path!r} is a classifier, but the task is regression")
    if "random_state" not in params and "random_state" in estimator.get_params():
        estimator.set_params(random_state=seed)
    return estimator


def build_pipeline(features: list[dict[str, str]], estimator: Any) -> Pipeline:
    """Fitted on `model_array` input: columns by position in `features`' order.

    When every feature is of one kind, that kind's preprocessing takes the whole array: a ColumnTransformer
    selecting every column is the identity, and on one row its per-call work (a joblib Parallel, a column-key
    check per position, hstack) cost more than the estimator. Mixed features select by an integer array,
    which scikit-learn checks in one dtype test where a list is checked element by element."""
    numeric = [i for i, f in enumerate(features) if f["kind"] == NUMERIC]
    categorical = [i for i, f in enumerate(features) if f["kind"] == CATEGORICAL]
    parts = {}
    if numeric:
        parts["numeric"] = (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric)
    if categorical:
        # Dense output: some estimators (HistGradientBoosting*, the regression default) refuse sparse input.
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        parts["categorical"] = (make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), categorical)
    if len(parts) == 1:
        ((preprocess, _),) = parts.values()
    else:
        preprocess = ColumnTransformer([(name, step, np.asarray(cols)) for name, (step, cols) in parts.items()])
    return Pipeline([("preprocess", preprocess), ("estimator", estimator)])
