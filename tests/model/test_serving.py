"""inference.py, the SageMaker serving contract, exercised in process through the copy shipped in the model folder
(test_serving_toolkit.py runs it under the image's real serving stack)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import joblib
import numpy as np
import pytest

from slipstream.local.image_env import image_python
from tests.model.model_suite import INFERENCE_SCRIPT, Split, load_module


@pytest.fixture(scope="module")
def serving(lr_model_here: Path) -> ModuleType:
    return load_module(lr_model_here / "code" / "inference.py", "shipped_inference")


@pytest.fixture(scope="module")
def loaded(serving: ModuleType, lr_model_here: Path) -> dict[str, Any]:
    return serving.model_fn(str(lr_model_here))


def _instances(split: Split, n: int) -> list[dict[str, Any]]:
    return split.test.drop(columns="target").head(n).to_dict(orient="records")


def test_json_request_round_trip_matches_the_pipeline(serving, loaded, lr_model_here: Path, cancer: Split) -> None:
    body = json.dumps({"instances": _instances(cancer, 3)})
    response, content_type = serving.transform_fn(loaded, body, "application/json", "application/json")
    answer = json.loads(response)
    expected = joblib.load(lr_model_here / "model.joblib")
    features = cancer.test.drop(columns="target").head(3).to_numpy(dtype=float)  # the model takes features in order
    assert content_type == "application/json"
    assert answer["predictions"] == list(expected.predict(features))
    assert answer["classes"] == ["benign", "malignant"]
    np.testing.assert_allclose(
        [[row["benign"], row["malignant"]] for row in answer["probabilities"]], expected.predict_proba(features)
    )


def test_bare_list_and_csv_with_or_without_header_give_the_same_answer(serving, loaded, cancer: Split) -> None:
    rows = _instances(cancer, 2)
    names = [f["name"] for f in loaded["metadata"]["features"]]
    csv_rows = "\n".join(",".join(str(row[n]) for n in names) for row in rows)
    bodies = [
        (json.dumps(rows).encode(), "application/json; charset=utf-8"),
        (csv_rows, "text/csv"),
        ((",".join(f'"{n}"' for n in names) + "\n" + csv_rows + "\n").encode(), "text/csv"),
    ]
    answers = [serving.predict(serving.parse_request(body, kind, loaded), loaded) for body, kind in bodies]
    assert answers[0] == answers[1] == answers[2]


def test_accept_any_is_json_and_other_accepts_are_refused(serving, loaded, cancer: Split) -> None:
    body = json.dumps(_instances(cancer, 1))
    assert serving.transform_fn(loaded, body, "application/json", "*/*")[1] == "application/json"
    assert serving.transform_fn(loaded, body, "application/json", None)[1] == "application/json"
    with pytest.raises(serving.NotAcceptable) as refused:
        serving.transform_fn(loaded, body, "application/json", "text/csv")
    assert refused.value.status_code == 406


def test_unsupported_content_type_is_415(serving, loaded) -> None:
    with pytest.raises(serving.UnsupportedMediaType) as refused:
        serving.parse_request(b"<xml/>", "application/xml", loaded)
    assert refused.value.status_code == 415 and "application/xml" in str(refused.value)


def test_every_problem_in_a_json_request_is_named(serving, loaded, cancer: Split) -> None:
    first, second = _instances(cancer, 2)
    del first["mean radius"]
    first["worst area"] = "large"
    second["mean texture"] = True
    with pytest.raises(serving.BadRequest) as rejected:
        serving.parse_request(json.dumps({"instances": [first, second]}), "application/json", loaded)
    error = rejected.value
    assert error.status_code == 400
    assert {(p["row"], p["field"]) for p in error.problems} == {
        (0, "mean radius"),
        (0, "worst area"),
        (1, "mean texture"),
    }
    message = str(error)
    assert "row 0, field 'mean radius': missing" in message
    assert "row 0, field 'worst area': expected a number, got 'large'" in message
    assert "row 1, field 'mean texture': expected a number, got true" in message


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "not valid JSON"),
        ('{"rows": []}', "must be a non-empty list of objects"),
        ('{"instances": []}', "must be a non-empty list of objects"),
        ('[1, {"a": 2}]', "row 0: must be a JSON object"),
        ("42", "must be a non-empty list of objects"),
    ],
)
def test_malformed_json_bodies_are_400(serving, loaded, body: str, reason: str) -> None:
    with pytest.raises(serving.BadRequest, match=reason) as rejected:
        serving.parse_request(body, "application/json", loaded)
    assert rejected.value.status_code == 400


def test_csv_rows_of_the_wrong_width_are_400(serving, loaded) -> None:
    with pytest.raises(serving.BadRequest, match=r"row 1: expected 30 values .* got 2") as rejected:
        serving.parse_request(",".join(["1"] * 30) + "\n1,2\n", "text/csv", loaded)
    assert rejected.value.problems == [rejected.value.problems[0]] and rejected.value.status_code == 400


def test_categorical_values_become_text_and_nulls_become_missing() -> None:
    serving = load_module(INFERENCE_SCRIPT, "repo_inference")
    model = {"metadata": {"features": [{"name": "size", "kind": "numeric"}, {"name": "flag", "kind": "categorical"}]}}
    body = '[{"size": null, "flag": true}, {"size": "2.5", "flag": 3}]'
    rows = serving.parse_request(body, "application/json", model)
    assert rows.shape == (2, 2) and np.isnan(rows[0, 0]) and rows[1, 0] == 2.5  # columns in feature order
    assert rows[:, 1].tolist() == ["True", "3"]


def test_without_the_toolkit_transform_fn_raises_the_error_it_would_answer(serving, loaded) -> None:
    error = serving.BadRequest("invalid request: x", [{"field": "x", "reason": "missing"}])
    assert (error.status_code, str(error)) == (400, "invalid request: x")
    assert error.body() == {"error": "invalid request", "detail": "invalid request: x", "problems": error.problems}
    with pytest.raises(serving.BadRequest):
        serving.transform_fn(loaded, "{not json", None, None)  # no Content-Type: read as JSON, as the toolkit does


def test_only_model_fn_and_transform_fn_face_the_toolkit() -> None:
    """The image refuses a module defining transform_fn together with input_fn, predict_fn or output_fn."""
    serving = load_module(INFERENCE_SCRIPT, "repo_inference_surface")
    assert callable(serving.model_fn) and callable(serving.transform_fn)
    assert not any(hasattr(serving, name) for name in ("input_fn", "predict_fn", "output_fn"))


def test_the_shipped_model_serves_without_the_training_code(lr_model: Path, cancer: Split) -> None:
    """The serving container has only model.tar.gz: the pickle must not need training/ modules."""
    script = (
        "import importlib.util, json, sys\n"
        "assert importlib.util.find_spec('model_pipeline') is None, 'training code is importable'\n"
        "import inference\n"
        f"model = inference.model_fn({str(lr_model)!r})\n"
        "print(inference.transform_fn(model, sys.stdin.read(), 'application/json', '*/*')[0])\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
    }  # the image's interpreter, which trained it; no training/ on any path
    completed = subprocess.run(
        [str(image_python()), "-c", script],
        input=json.dumps({"instances": _instances(cancer, 2)}),
        cwd=lr_model / "code",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert len(json.loads(completed.stdout)["predictions"]) == 2


class _ModelMustNotRun:
    def predict_proba(self, _: Any) -> None:
        raise AssertionError("a non-finite value reached the model")


@pytest.mark.parametrize(
    ("body", "kind"),
    [('{"mean radius": Infinity}', "application/json"), ('{"mean radius": 1e999}', "application/json"),
     ('{"mean radius": "-inf"}', "application/json"), ("inf", "text/csv")],
)  # fmt: skip
def test_an_infinite_value_is_refused_before_the_model(serving, loaded, cancer: Split, body: str, kind: str) -> None:
    # The model runs with scikit-learn's finiteness checks off (the request was checked): this is that check.
    row = _instances(cancer, 1)[0]
    names = [f["name"] for f in loaded["metadata"]["features"]]
    if kind == "text/csv":
        request = ",".join([body, *(str(row[n]) for n in names[1:])])
    else:
        request = json.dumps([row]).replace(f'"mean radius": {row["mean radius"]}', body.strip("{}"))
    with pytest.raises(serving.BadRequest, match="row 0, field 'mean radius': expected a finite number") as refused:
        serving.transform_fn({**loaded, "pipeline": _ModelMustNotRun()}, request, kind, None)
    assert refused.value.status_code == 400


def test_a_value_that_overflows_inside_the_model_is_400_naming_the_row(serving, loaded, cancer: Split) -> None:
    good, huge = _instances(cancer, 2)
    huge.update(dict.fromkeys(huge, 1e308))  # finite, but scaling and the linear model take it past float's range
    with pytest.raises(serving.BadRequest, match="row 1: a value is too large for the model") as refused:
        serving.transform_fn(loaded, json.dumps([good, huge]), "application/json", None)
    assert [p["row"] for p in refused.value.problems] == [1]
