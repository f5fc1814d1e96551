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
    """The fitted Pipeline and its metadata.json."""
    folder = Path(model_dir)
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    return {
        "pipeline": joblib.load(folder / "model.joblib"),
        "metadata": metadata,
        "model_version": os.environ.get("SLIPSTREAM_MODEL_VERSION") or None,
    }


def _media_type(header: str | None) -> str:
    return (header or "").split(";")[0].strip().lower()


def _as_number(value: Any) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a number, got {json.dumps(value)}")
    try:
        number = float(value)
    except ValueError:
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


def _frame(rows: list[dict[str, Any]], features: list[dict[str, str]]) -> pd.DataFrame:
    """DataFrame in feature order; every missing field and unconvertible value becomes a problem."""
    problems: list[dict[str, Any]] = []
    columns: dict[str, list[Any]] = {f["name"]: [] for f in features}
    for index, row in enumerate(rows):
        for feature in features:
            name = feature["name"]
            convert = _as_category if feature["kind"] == "categorical" else _as_number
            if name not in row:
                problems.append({"row": index, "field": name, "reason": "missing"})
                continue
            try:
                columns[name].append(convert(row[name]))
            except ValueError as error:
                problems.append({"row": index, "field": name, "reason": str(error)})
    if problems:
        raise _bad_request(problems)
    # Typed arrays up front: one astype per column afterwards costs more than the model on a single row.
    typed = {
        f["name"]: np.asarray(columns[f["name"]], dtype=float if f["kind"] == "numeric" else object) for f in features
    }
    frame = pd.DataFrame(typed, columns=list(columns))
    return frame


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


def parse_request(body: Any, content_type: str | None, model: dict[str, Any]) -> pd.DataFrame:
    """The request as a DataFrame in the model's feature order; raises BadRequest / UnsupportedMediaType."""
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
    features = model["metadata"]["features"]
    names = [f["name"] for f in features]
    rows = _rows_from_json(body) if media == JSON else _rows_from_csv(body, names)
    return _frame(rows, features)


def _plain(values: Any) -> list[Any]:
    """JSON-ready list: numpy scalars to Python, NaN to None."""
    out = []
    for value in np.asarray(values).tolist():
        out.append(None if isinstance(value, float) and not math.isfinite(value) else value)
    return out


def predict(data: pd.DataFrame, model: dict[str, Any]) -> dict[str, Any]:
    pipeline, metadata = model["pipeline"], model["metadata"]
    if metadata["task"] != "classification" or not hasattr(pipeline, "predict_proba"):
        result: dict[str, Any] = {"predictions": _plain(pipeline.predict(data))}
        if metadata["task"] == "classification":
            result["classes"] = metadata["classes"]
    else:
        # One pass through the pipeline: the label is the most probable class (what predict() returns for
        # scikit-learn's probabilistic classifiers), so running predict() as well would double the work.
        probabilities = np.asarray(pipeline.predict_proba(data))
        classes = metadata["classes"]
        result = {
            "predictions": _plain(np.asarray(classes, dtype=object)[probabilities.argmax(axis=1)]),
            "classes": classes,
            "probabilities": [{str(c): p for c, p in zip(classes, row, strict=True)} for row in probabilities.tolist()],
        }
    if model.get("model_version"):
        result["model_version"] = str(model["model_version"])
    return result


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
