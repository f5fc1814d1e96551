"""Behavioural tests: does the model act as a domain expert expects, whatever its metrics say?

The spec has the shape of the config's `[behaviour]` section (BehaviourConfig in slipstream/config.py),
as JSON: {"directional": [...], "invariance": [...], "minimum_functionality": [...]}. Each check gives one
record {"kind", "name", "passed", "detail", ...numbers}; a check that cannot run fails with the reason.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from model_pipeline import CATEGORICAL, FrameModel, as_model_input

# Moves smaller than this are float noise, not a violation.
TOLERANCE = 1e-9
# Regression invariance: a prediction "changes" when it moves more than this share of the target's std.
REGRESSION_MOVE_SHARE = 0.05
DEFAULTS: dict[str, dict[str, Any]] = {
    "directional": {"delta": 1.0, "target_class": None, "max_violation_rate": 0.1},
    "invariance": {"noise": 0.05, "max_change_rate": 0.02},
    "minimum_functionality": {"expected": None, "expected_min": None, "expected_max": None},
}


class CheckFailed(Exception):
    """The check cannot run as specified (unknown feature, categorical feature...): it fails with this detail."""


class Subject:
    """The model under test and the held-out data it is tested on."""

    def __init__(self, pipeline: Any, metadata: dict[str, Any], features: pd.DataFrame, y: pd.Series) -> None:
        wrapped = pipeline if isinstance(pipeline, FrameModel) else FrameModel(pipeline, metadata["features"])
        self.pipeline, self.metadata, self.features, self.y = wrapped, metadata, features, y
        self.kinds = {f["name"]: f["kind"] for f in metadata["features"]}
        self.classification = metadata["task"] == "classification"
        self.classes = list(getattr(pipeline, "classes_", []))

    def numeric_spread(self, feature: str) -> float:
        """Std of a numeric feature on the test data; the unit every perturbation is measured in."""
        if feature not in self.kinds:
            raise CheckFailed(f"feature {feature!r} is not one of the model's features")
        if self.kinds[feature] == CATEGORICAL:
            raise CheckFailed(f"feature {feature!r} is categorical: numeric features only")
        std = float(self.features[feature].std())
        if not np.isfinite(std) or std == 0:
            raise CheckFailed(f"feature {feature!r} does not vary on the test data, so it cannot be perturbed")
        return std

    def class_index(self, target_class: Any) -> int:
        if target_class is None:
            return len(self.classes) - 1
        # Compare as text: the config may say "1" for a class stored as 1, or the reverse.
        for index, cls in enumerate(self.classes):
            if str(cls) == str(target_class):
                return index
        raise CheckFailed(f"target_class {target_class!r} is not one of the model's classes {self.classes}")

    def scores(self, data: pd.DataFrame, class_index: int) -> np.ndarray:
        """P(class) for classifiers (1.0/0.0 for the predicted class without predict_proba); else predictions."""
        if not self.classification:
            return np.asarray(self.pipeline.predict(data), dtype=float)
        if hasattr(self.pipeline, "predict_proba"):
            return np.asarray(self.pipeline.predict_proba(data)[:, class_index], dtype=float)
        return np.asarray(self.pipeline.predict(data) == self.classes[class_index], dtype=float)


def directional(subject: Subject, check: dict[str, Any]) -> dict[str, Any]:
    feature, expected = check["feature"], check["direction"]
    if expected not in ("increase", "decrease"):
        raise CheckFailed(f"direction must be 'increase' or 'decrease', not {expected!r}")
    step = check["delta"] * subject.numeric_spread(feature)
    index = subject.class_index(check["target_class"]) if subject.classification else 0
    grown = subject.features.copy()
    grown[feature] = grown[feature] + step
    change = subject.scores(grown, index) - subject.scores(subject.features, index)
    sign = 1.0 if expected == "increase" else -1.0
    mean_change, violation_rate = float(change.mean()), float(np.mean(sign * change < -TOLERANCE))
    passed = sign * mean_change > TOLERANCE and violation_rate <= check["max_violation_rate"]
    score = f"P({subject.classes[index]})" if subject.classification else "the prediction"
    detail = (
        f"{score} changed by {mean_change:+.4g} on average when {feature!r} grew by {check['delta']} std "
        f"(expected: {expected}); {violation_rate:.1%} of rows moved the wrong way "
        f"(allowed {check['max_violation_rate']:.1%})"
    )
    return {"passed": passed, "detail": detail, "mean_change": mean_change, "violation_rate": violation_rate}


def invariance(subject: Subject, check: dict[str, Any], seed: int) -> dict[str, Any]:
    feature = check["feature"]
    noisy = subject.features.copy()
    rng = np.random.default_rng(seed)  # seeded per check: the same model always gets the same verdict
    scale = check["noise"] * subject.numeric_spread(feature)
    noisy[feature] = noisy[feature] + rng.normal(0.0, scale, size=len(noisy))
    before, after = subject.pipeline.predict(subject.features), subject.pipeline.predict(noisy)
    if subject.classification:
        changed, what = before != after, "predicted label changed"
    else:
        bar = REGRESSION_MOVE_SHARE * float(np.std(np.asarray(subject.y, dtype=float)))
        changed = np.abs(np.asarray(after, dtype=float) - np.asarray(before, dtype=float)) > bar
        what = f"prediction moved more than {bar:.4g} ({REGRESSION_MOVE_SHARE:.0%} of the target's std)"
    change_rate = float(np.mean(changed))
    passed = change_rate <= check["max_change_rate"]
    detail = (
        f"with noise of {check['noise']} std on {feature!r}, the {what} for {change_rate:.1%} of rows "
        f"(allowed {check['max_change_rate']:.1%})"
    )
    return {"passed": passed, "detail": detail, "change_rate": change_rate}


def _case_row(subject: Subject, instance: dict[str, Any]) -> pd.DataFrame:
    """Typical values (median / most frequent on the test data) overridden by the case's instance."""
    unknown = sorted(set(instance) - set(subject.kinds))
    if unknown:
        raise CheckFailed(f"feature(s) {unknown} are not among the model's features")
    row: dict[str, Any] = {}
    for name, kind in subject.kinds.items():
        column = subject.features[name]
        if kind == CATEGORICAL:
            mode = column.dropna().mode()
            row[name] = mode.iloc[0] if len(mode) else np.nan
        else:
            row[name] = float(column.median())
    for name, value in instance.items():
        if subject.kinds[name] != CATEGORICAL and value is not None:
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise CheckFailed(f"feature {name!r} is numeric, but the case gives {value!r}") from None
        row[name] = value
    return as_model_input(pd.DataFrame([row]), subject.metadata["features"])


def _same_label(predicted: Any, expected: Any) -> bool:
    if str(predicted) == str(expected):
        return True
    try:  # 1 and 1.0 are the same label
        return float(predicted) == float(expected)
    except (TypeError, ValueError):
        return False


def minimum_functionality(subject: Subject, case: dict[str, Any]) -> dict[str, Any]:
    predicted = subject.pipeline.predict(_case_row(subject, case.get("instance") or {}))[0]
    predicted = predicted.item() if isinstance(predicted, np.generic) else predicted
    if subject.classification:
        if case["expected"] is None:
            raise CheckFailed("a classification case needs `expected` (a label)")
        passed = _same_label(predicted, case["expected"])
        detail = f"predicted {predicted!r}, expected {case['expected']!r}"
        return {"passed": passed, "detail": detail, "prediction": predicted}
    low, high = case["expected_min"], case["expected_max"]
    if low is None and high is None:
        raise CheckFailed("a regression case needs `expected_min` and/or `expected_max`")
    passed = (low is None or predicted >= low) and (high is None or predicted <= high)
    bounds = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
    detail = f"predicted {predicted:.4g}, expected within {bounds}"
    return {"passed": passed, "detail": detail, "prediction": predicted}


def _check_name(kind: str, check: dict[str, Any]) -> str:
    if kind == "directional":
        target = f" for {check['target_class']}" if check.get("target_class") is not None else ""
        return f"{check.get('feature')}: {check.get('direction')}{target}"
    if kind == "invariance":
        return f"{check.get('feature')}: +/- {check.get('noise')} std noise"
    return str(check.get("name") or "unnamed case")


def _run_one(subject: Subject, kind: str, check: dict[str, Any], seed: int) -> dict[str, Any]:
    required = {"directional": ("feature", "direction"), "invariance": ("feature",), "minimum_functionality": ()}
    absent = [key for key in required[kind] if check.get(key) is None]
    if absent:
        raise CheckFailed(f"the check lacks {absent}")
    if kind == "directional":
        return directional(subject, check)
    if kind == "invariance":
        return invariance(subject, check, seed)
    return minimum_functionality(subject, check)


def run_behaviour_tests(subject: Subject, spec: dict[str, Any] | None, seed: int) -> dict[str, Any]:
    """{"passed": all passed, "tests": [one record per check]}; no spec means no tests (and passed)."""
    tests = []
    for kind, defaults in DEFAULTS.items():
        for raw in (spec or {}).get(kind) or []:
            given = raw.items() if isinstance(raw, dict) else []  # a malformed entry fails on its missing keys
            check = {**defaults, **{k: v for k, v in given if v is not None}}
            record: dict[str, Any] = {"kind": kind, "name": _check_name(kind, check)}
            try:
                record.update(_run_one(subject, kind, check, seed))
            except CheckFailed as error:
                record.update(passed=False, detail=str(error))
            except Exception as error:  # a model that crashes on the case fails it; the report still gets written
                record.update(passed=False, detail=f"the check raised {type(error).__name__}: {error}")
            record["passed"] = bool(record["passed"])
            tests.append(record)
    return {"passed": all(t["passed"] for t in tests), "tests": tests}
