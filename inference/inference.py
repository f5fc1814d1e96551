"""SageMaker serving contract for Slipstream models: model_fn and transform_fn.

Loaded by AWS's scikit-learn serving container from the sourcedir the model's environment names
(SAGEMAKER_PROGRAM=inference.py, SAGEMAKER_SUBMIT_DIRECTORY=<sourcedir.tar.gz>); a copy also ships in
model.tar.gz as code/inference.py. It stands alone: standard library, numpy, pandas, joblib and the image's
serving toolkit (sagemaker_containers); nothing from training/ or slipstream/.

Requests: `application/json` as {"instances": [{feature: value, ...}, ...]} (or a bare list of objects), or
`text/csv` with one row per instance in the model's feature order (a header row of the feature names is
allowed); no Content-Type means JSON, as the toolkit assumes. Response: JSON {"predictions": [...]} plus
"probabilities" ([{class: p}]) and "classes" for classifiers, and "model_version" when the endpoint's model
was created with SLIPSTREAM_MODEL_VERSION in its environment (the deploy step sets it).

Why transform_fn and not input_fn/predict_fn/output_fn: the image's default server (sagemaker_containers
under gunicorn) wraps those three so that anything they raise becomes an HTML 500. transform_fn returns
its own response, so a bad request gets 400 (415 for the content type, 406 for Accept) with a JSON body
{"error", "detail", "problems": [{"row", "field", "reason"}]} naming every problem.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn import config_context

try:  # the image's serving toolkit: a Flask response with our status code
    from sagemaker_containers.beta.framework import worker as _worker
except ImportError:  # anywhere else (tests, the laptop): transform_fn raises the error instead
    _worker = None


JSON, CSV = "application/json", "text/csv"
MAX_LISTED_PROBLEMS = 50  # keeps the message bounded; `problems` lists them all


class InferenceError(Exception):
    status_code = 500
    error = "model error"

    def __init__(self, message: str, problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []  # [{"row", "field", "reason"}]

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "detail": self.message, "problems": self.problems}


class BadRequest(InferenceError):
    status_code = 400
    error = "invalid request"


class UnsupportedMediaType(InferenceError):
    status_code = 415
    error = "unsupported content type"


class NotAcceptable(InferenceError):
    status_code = 406
    error = "not acceptable"


def _describe(problem: dict[str, Any]) -> str:
    where = [f"row {problem['row']}"] if "row" in problem else []
    where += [f"field {problem['field']!r}"] if "field" in problem else []
    return f"{', '.join(where)}: {problem['reason']}"


def _bad_request(problems: list[dict[str, Any]]) -> BadRequest:
    lines = [_describe(p) for p in problems[:MAX_LISTED_PROBLEMS]]
    if len(problems) > MAX_LISTED_PROBLEMS:
        lines.append(f"and {len(problems) - MAX_LISTED_PROBLEMS} more")
    return BadRequest("invalid request: " + " | ".join(lines), problems)


def model_fn(model_dir: str) -> dict[str, Any]:
    """The fitted Pipeline, its metadata.json, and how requests are typed for it (worked out once, here)."""
    folder = Path(model_dir)
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    pipeline = joblib.load(folder / "model.joblib")
    return {
        "pipeline": pipeline,
        "metadata": metadata,
        "model_version": os.environ.get("SLIPSTREAM_MODEL_VERSION") or None,
        "input": InputPlan(metadata["features"], pipeline),
    }


class InputPlan:
    """The model's features and the input kind its Pipeline takes: a numpy array in feature order (columns by
    position: model_pipeline.build_pipeline), or a DataFrame for models trained before (columns by name)."""

    def __init__(self, features: list[dict[str, str]], pipeline: Any) -> None:
        self.features = features
        self.names = [f["name"] for f in features]
        self.numeric = [f["kind"] != "categorical" for f in features]
        self.all_numeric = all(self.numeric)
        self.takes_frames = getattr(pipeline, "feature_names_in_", None) is not None

    def model_input(self, rows: list[dict[str, Any]]) -> Any:
        """What the Pipeline takes; raises BadRequest naming every missing field and unconvertible value."""
        if self.all_numeric and not self.takes_frames:
            fast = self._plain_numbers(rows)
            if fast is not None:
                return fast
        cells = self._converted(rows)
        if self.takes_frames:
            # Typed columns up front: one astype per column afterwards costs more than the model on a single row.
            columns = {
                name: np.asarray([row[j] for row in cells], dtype=float if self.numeric[j] else object)
                for j, name in enumerate(self.names)
            }
            return pd.DataFrame(columns, columns=self.names)
        array = np.array(cells, dtype=float if self.all_numeric else object).reshape(len(cells), len(self.names))
        return np.asfortranarray(array)

    def _plain_numbers(self, rows: list[dict[str, Any]]) -> np.ndarray | None:
        """The common case in one numpy call: every field present, an int or float, finite (NaN is missing).
        None sends the request through the careful path, which names each problem."""
        try:
            cells = [[row[name] for name in self.names] for row in rows]
        except KeyError:
            return None
        if not all(type(v) is float or type(v) is int for row in cells for v in row):  # bool is refused
            return None
        try:
            # Column-major, as training's DataFrame.to_numpy gives it and a ColumnTransformer returns it: the
            # estimator's matrix product sums in the same order, so batched scores match to the last bit.
            array = np.array(cells, dtype=float, order="F")
        except OverflowError:
            return None
        return None if np.isinf(array).any() else array

    def _converted(self, rows: list[dict[str, Any]]) -> list[list[Any]]:
        problems: list[dict[str, Any]] = []
        cells: list[list[Any]] = []
        converters = [_as_number if numeric else _as_category for numeric in self.numeric]
        for index, row in enumerate(rows):
            converted = []
            for name, convert in zip(self.names, converters, strict=True):
                if name not in row:
                    problems.append({"row": index, "field": name, "reason": "missing"})
                    continue
                try:
                    converted.append(convert(row[name]))
                except ValueError as error:
                    problems.append({"row": index, "field": name, "reason": str(error)})
            cells.append(converted)
        if problems:
            raise _bad_request(problems)
        return cells


def _media_type(header: str | None) -> str:
    return (header or "").split(";")[0].strip().lower()


def _as_number(value: Any) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a number, got {json.dumps(value)}")
    try:
        number = float(value)
    except (ValueError, OverflowError):  # OverflowError: an integer beyond float's range
        raise ValueError(f"expected a number, got {value!r}") from None
    if math.isinf(number):  # the scaler would turn it into inf/NaN scores; NaN alone means "missing"
        raise ValueError(f"expected a finite number, got {value!r}")
    return number


def _as_category(value: Any) -> Any:
    # Same rule as training (model_pipeline.as_model_input): categories are text, NaN marks missing.
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return np.nan
    if not isinstance(value, (str, int, float, bool)):
        raise ValueError(f"expected a single value, got {json.dumps(value)}")
    return str(value)


def _rows_from_json(text: str) -> list[dict[str, Any]]:
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise _bad_request([{"field": "body", "reason": f"not valid JSON ({error})"}]) from None
    instances = payload.get("instances") if isinstance(payload, dict) else payload
    if not isinstance(instances, list) or not instances:
        raise _bad_request([{"field": "instances", "reason": "must be a non-empty list of objects"}])
    wrong = [
        {"row": i, "reason": "must be a JSON object"} for i, item in enumerate(instances) if not isinstance(item, dict)
    ]
    if wrong:
        raise _bad_request(wrong)
    return instances


def _rows_from_csv(text: str, names: list[str]) -> list[dict[str, Any]]:
    rows = [r for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    if rows and [cell.strip() for cell in rows[0]] == names:
        rows = rows[1:]  # the optional header row
    if not rows:
        raise _bad_request([{"field": "body", "reason": "no CSV rows"}])
    wrong = [
        {"row": i, "reason": f"expected {len(names)} values ({', '.join(names)}), got {len(r)}"}
        for i, r in enumerate(rows)
        if len(r) != len(names)
    ]
    if wrong:
        raise _bad_request(wrong)
    return [dict(zip(names, row, strict=True)) for row in rows]


def parse_request(body: Any, content_type: str | None, model: dict[str, Any]) -> Any:
    """The request as the model's input (InputPlan.model_input: an array in the model's feature order, or a
    DataFrame for a model that takes one); raises BadRequest / UnsupportedMediaType."""
    media = _media_type(content_type) or JSON
    if media not in (JSON, CSV):
        raise UnsupportedMediaType(f"unsupported content type {content_type!r}; send {JSON} or {CSV}")
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise _bad_request([{"field": "body", "reason": "not UTF-8 text"}]) from None
    if not isinstance(body, str):
        raise _bad_request([{"field": "body", "reason": f"expected text, got {type(body).__name__}"}])
    plan = model.get("input") or InputPlan(model["metadata"]["features"], model.get("pipeline"))
    rows = _rows_from_json(body) if media == JSON else _rows_from_csv(body, plan.names)
    return plan.model_input(rows)


def _plain(values: Any) -> list[Any]:
    """JSON-ready list: numpy scalars to Python, NaN to None."""
    out = []
    for value in np.asarray(values).tolist():
        out.append(None if isinstance(value, float) and not math.isfinite(value) else value)
    return out


# The request was checked before the model sees it (InputPlan: every value a number or a category, no
# infinity; NaN means missing, which the imputers fill), so scikit-learn's per-call finiteness scan and
# parameter validation only repeat that work: on one row they were about half of the model call.
VALIDATED = {"assume_finite": True, "skip_parameter_validation": True}


def predict(data: Any, model: dict[str, Any]) -> dict[str, Any]:
    pipeline, metadata = model["pipeline"], model["metadata"]
    probabilistic = metadata["task"] == "classification" and hasattr(pipeline, "predict_proba")
    with config_context(**VALIDATED), np.errstate(over="ignore", invalid="ignore"):  # _check_finite answers
        scores = np.asarray(pipeline.predict_proba(data) if probabilistic else pipeline.predict(data))
    _check_finite(scores)
    if not probabilistic:
        result: dict[str, Any] = {"predictions": _plain(scores)}
        if metadata["task"] == "classification":
            result["classes"] = metadata["classes"]
    else:
        # One pass through the pipeline: the label is the most probable class (what predict() returns for
        # scikit-learn's probabilistic classifiers), so running predict() as well would double the work.
        classes = metadata["classes"]
        keys = [str(c) for c in classes]
        result = {
            "predictions": _plain(np.asarray(classes, dtype=object)[scores.argmax(axis=1)]),
            "classes": classes,
            "probabilities": [dict(zip(keys, row, strict=True)) for row in scores.tolist()],
        }
    if model.get("model_version"):
        result["model_version"] = str(model["model_version"])
    return result


def _check_finite(scores: np.ndarray) -> None:
    """A finite value far outside the training range can still overflow inside the model (a scaled 1e308):
    the caller gets a 400 naming the rows, not a 500 from the JSON encoder or a NaN score."""
    if scores.dtype.kind != "f" or np.isfinite(scores).all():
        return
    bad = np.flatnonzero(~np.isfinite(scores.reshape(len(scores), -1)).all(axis=1)).tolist()
    raise _bad_request(
        [{"row": r, "reason": "a value is too large for the model (its score is not finite)"} for r in bad]
    )


def check_accept(accept: str | None) -> None:
    accepted = [_media_type(part) for part in (accept or "").split(",")]
    if not any(media in ("", "*/*", "application/*", JSON) for media in accepted):
        raise NotAcceptable(f"cannot answer in {accept!r}; accept {JSON}")


def transform_fn(model: dict[str, Any], request_body: Any, content_type: str, accept: str | None) -> Any:
    """The toolkit's one call per request: (JSON body, content type), or an error response with its status."""
    try:
        check_accept(accept)
        prediction = predict(parse_request(request_body, content_type, model), model)
    except InferenceError as error:
        if _worker is None:
            raise
        body = json.dumps(error.body())
        return _worker.Response(response=body, status=error.status_code, mimetype=JSON)
    return json.dumps(prediction, allow_nan=False), JSON
