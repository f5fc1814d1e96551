"""Behavioural tests: the configured checks pass for a sensible model and catch deliberately broken ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import pandas as pd
import pytest
from behaviour_checks import Subject, run_behaviour_tests
from model_pipeline import FrameModel, as_model_input, build_pipeline, describe_features
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression

from tests.model.model_suite import NoiseSensitiveClassifier, Split


def _fit(split: Split, estimator: Any, task: str = "classification") -> tuple[Any, dict[str, Any]]:
    features = describe_features(split.train, split.target)
    pipeline = FrameModel(build_pipeline(features, estimator), features)
    pipeline.fit(as_model_input(split.train, features), split.train[split.target])
    classes = list(pipeline.classes_) if task == "classification" else None
    return pipeline, {"task": task, "features": features, "classes": classes, "seed": 42}


def _run(pipeline: Any, metadata: dict[str, Any], split: Split, spec: dict[str, Any] | None) -> dict[str, Any]:
    features = as_model_input(split.test, metadata["features"])
    return run_behaviour_tests(Subject(pipeline, metadata, features, split.test[split.target]), spec, seed=42)


def _verdicts(result: dict[str, Any]) -> dict[tuple[str, str], bool]:
    return {(t["kind"], t["name"]): t["passed"] for t in result["tests"]}


@pytest.fixture(scope="module")
def logistic(lr_model_here: Path) -> tuple[Any, dict[str, Any]]:
    import json

    return joblib.load(lr_model_here / "model.joblib"), json.loads((lr_model_here / "metadata.json").read_text())


def test_the_default_config_checks_pass_for_logistic_regression(logistic, cancer: Split, behaviour_spec) -> None:
    result = _run(*logistic, cancer, behaviour_spec)
    assert len(result["tests"]) == 5
    assert result["passed"], [t["detail"] for t in result["tests"] if not t["passed"]]
    directional = [t for t in result["tests"] if t["kind"] == "directional"]
    assert all(t["mean_change"] < 0 and t["violation_rate"] <= 0.1 for t in directional)


def test_a_constant_model_fails_directional_and_minimum_functionality(cancer: Split, behaviour_spec) -> None:
    result = _run(*_fit(cancer, DummyClassifier(strategy="prior")), cancer, behaviour_spec)
    verdicts = _verdicts(result)
    assert not result["passed"]
    assert verdicts[("directional", "worst radius: decrease for benign")] is False
    assert verdicts[("directional", "worst concave points: decrease for benign")] is False
    # it always answers the majority class (benign), so only the malignant case fails
    assert verdicts[("minimum_functionality", "large irregular tumour is malignant")] is False
    assert verdicts[("minimum_functionality", "small smooth tumour is benign")] is True
    assert verdicts[("invariance", "mean fractal dimension: +/- 0.05 std noise")] is True


def test_a_model_that_flips_with_measurement_noise_fails_invariance(cancer: Split, behaviour_spec) -> None:
    result = _run(*_fit(cancer, NoiseSensitiveClassifier()), cancer, behaviour_spec)
    invariance = next(t for t in result["tests"] if t["kind"] == "invariance")
    assert invariance["passed"] is False and invariance["change_rate"] > 0.2
    assert "predicted label changed" in invariance["detail"]


def test_checks_that_cannot_run_fail_with_a_reason(logistic, cancer: Split, housing: Split) -> None:
    spec = {
        "directional": [
            {"feature": "tumour colour", "direction": "increase"},
            {"feature": "worst radius", "direction": "decrease", "target_class": "cyst"},
        ],
        "invariance": [{"feature": "tumour colour"}],
        "minimum_functionality": [
            {"name": "typo", "instance": {"worst radios": 30}, "expected": "malignant"},
            {"name": "text in a number", "instance": {"worst radius": "big"}, "expected": "malignant"},
            {"name": "no expectation", "instance": {}},
        ],
    }
    details = [t["detail"] for t in _run(*logistic, cancer, spec)["tests"]]
    assert details == [
        "feature 'tumour colour' is not one of the model's features",
        "target_class 'cyst' is not one of the model's classes ['benign', 'malignant']",
        "feature 'tumour colour' is not one of the model's features",
        "feature(s) ['worst radios'] are not among the model's features",
        "feature 'worst radius' is numeric, but the case gives 'big'",
        "a classification case needs `expected` (a label)",
    ]


def test_regression_checks_and_categorical_features(housing: Split) -> None:
    pipeline, metadata = _fit(housing, LinearRegression(), task="regression")
    spec = {
        "directional": [
            {"feature": "size", "direction": "increase", "delta": 0.5},
            {"feature": "age", "direction": "increase"},
            {"feature": "district", "direction": "increase"},
        ],
        "invariance": [{"feature": "age", "noise": 0.01}],
        "minimum_functionality": [
            {
                "name": "big new house in the north",
                "instance": {"size": 150, "age": 1, "district": "north"},
                "expected_min": 450,
            },
            {"name": "impossible range", "instance": {"district": "east"}, "expected_max": -1000},
        ],
    }
    result = _run(pipeline, metadata, housing, spec)
    verdicts = [t["passed"] for t in result["tests"]]
    assert verdicts == [True, False, False, True, True, False]
    assert result["tests"][2]["detail"] == "feature 'district' is categorical: numeric features only"
    assert result["tests"][1]["mean_change"] < 0  # older houses are cheaper: the check fails for the right reason


def test_no_spec_means_no_tests() -> None:
    subject = Subject(None, {"task": "regression", "features": []}, pd.DataFrame(), pd.Series(dtype=float))
    assert run_behaviour_tests(subject, None, seed=0) == {"passed": True, "tests": []}
