"""inference.py, the SageMaker serving contract, exercised through the copy shipped in the model folder."""

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
    frame = serving.input_fn(body, "application/json")
    response, content_type = serving.output_fn(serving.predict_fn(frame, loaded), "application/json")
    answer = json.loads(response)
    expected = joblib.load(lr_model_here / "model.joblib")
    features = cancer.test.drop(columns="target").head(3)
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
    answers = [serving.predict_fn(serving.input_fn(body, kind), loaded) for body, kind in bodies]
    assert answers[0] == answers[1] == answers[2]


def test_accept_any_is_json_and_other_accepts_are_refused(serving, loaded, cancer: Split) -> None:
    prediction = serving.predict_fn(serving.input_fn(json.dumps(_instances(cancer, 1)), "application/json"), loaded)
    assert serving.output_fn(prediction, "*/*")[1] == "application/json"
    assert serving.output_fn(prediction, None)[1] == "application/json"
    with pytest.raises(serving.UnsupportedMediaType) as refused:
        serving.output_fn(prediction, "text/csv")
    assert refused.value.status_code == 415


def test_unsupported_content_type_is_415(serving, loaded) -> None:
    with pytest.raises(serving.UnsupportedMediaType) as refused:
        serving.input_fn(b"<xml/>", "application/xml")
    assert refused.value.status_code == 415 and "application/xml" in str(refused.value)


def test_every_problem_in_a_json_request_is_named(serving, loaded, cancer: Split) -> None:
    first, second = _instances(cancer, 2)
    del first["mean radius"]
    first["worst area"] = "large"
    second["mean texture"] = True
    with pytest.raises(serving.BadRequest) as rejected:
        serving.input_fn(json.dumps({"instances": [first, second]}), "application/json")
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
        serving.input_fn(body, "application/json")
    assert rejected.value.status_code == 400


def test_csv_rows_of_the_wrong_width_are_400(serving, loaded) -> None:
    with pytest.raises(serving.BadRequest, match=r"row 1: expected 30 values .* got 2") as rejected:
        serving.input_fn(",".join(["1"] * 30) + "\n1,2\n", "text/csv")
    assert rejected.value.problems == [rejected.value.problems[0]] and rejected.value.status_code == 400


def test_categorical_values_become_text_and_nulls_become_missing() -> None:
    serving = load_module(INFERENCE_SCRIPT, "repo_inference")
    model = {"metadata": {"features": [{"name": "size", "kind": "numeric"}, {"name": "flag", "kind": "categorical"}]}}
    frame = serving.parse_request(
        '[{"size": null, "flag": true}, {"size": "2.5", "flag": 3}]', "application/json", model
    )
    assert frame["size"].isna().tolist() == [True, False] and frame["size"].iloc[1] == 2.5
    assert frame["flag"].tolist() == ["True", "3"]


def test_errors_carry_the_toolkit_contract_without_the_toolkit() -> None:
    serving = load_module(INFERENCE_SCRIPT, "repo_inference_errors")
    error = serving.BadRequest("invalid request: x", [{"field": "x", "reason": "missing"}])
    assert (error.status_code, error.message, str(error)) == (400, "invalid request: x", "invalid request: x")


def test_the_shipped_model_serves_without_the_training_code(lr_model: Path, cancer: Split) -> None:
    """The serving container has only model.tar.gz: the pickle must not need training/ modules."""
    script = (
        "import importlib.util, json, sys\n"
        "assert importlib.util.find_spec('model_pipeline') is None, 'training code is importable'\n"
        "import inference\n"
        f"model = inference.model_fn({str(lr_model)!r})\n"
        "data = inference.input_fn(sys.stdin.read(), 'application/json')\n"
        "print(inference.output_fn(inference.predict_fn(data, model), '*/*')[0])\n"
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
