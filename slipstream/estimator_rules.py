"""Whether `[model]` and `[tuning.space]` can work with the scikit-learn that will run them, naming the key at fault.

The same code runs in two places: on the laptop (slipstream/estimator_check.py) and in the SageMaker image's own
Python and scikit-learn (slipstream/local/in_image/check_estimator.py), which is where the model will be fitted.
Versions differ in what they accept: RandomForestClassifier's float `max_samples` above 1.0 is valid in the
laptop's scikit-learn 1.9 and refused by the image's 1.4.2; LogisticRegression's `multi_class` the other way
round. So this imports only the standard library, slipstream.errors and, when called, scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

from slipstream.errors import ConfigError


def check_model(path: str, params: dict[str, Any], task: str, space: dict[str, list[Any]]) -> None:
    """Raise ConfigError naming `model.estimator`, `model.params` or `tuning.space.<name>`. `space`: each searched
    parameter's values to try (every choice, or both bounds: tuning_config.SpaceEntry.values_to_check)."""
    from sklearn.base import is_classifier, is_regressor

    cls = _import(path)
    if not callable(cls):
        raise ConfigError(f"model.estimator: {path!r} is not a class")
    try:
        estimator = cls(**params)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"model.params: {path} does not accept these parameters: {error}") from None
    if not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
        raise ConfigError(f"model.estimator: {path!r} is not an estimator (no fit/predict)")
    wrong = is_regressor(estimator) if task == "classification" else is_classifier(estimator)
    if wrong:
        kind = "a regressor" if task == "classification" else "a classifier"
        raise ConfigError(f"model.estimator: {path} is {kind}, but data.task is {task!r}")
    problem = _refusal(cls, params)
    if problem:
        raise ConfigError(f"model.params: {path} refuses these parameters: {problem}")
    _check_space(cls, path, params, space)


def _import(path: str) -> Any:
    module_name, _, attr = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigError(f"model.estimator: cannot import module {module_name!r} ({error})") from None
    if not hasattr(module, attr):
        raise ConfigError(f"model.estimator: module {module_name!r} has no attribute {attr!r}")
    return getattr(module, attr)


def _check_space(cls: type, path: str, params: dict[str, Any], space: dict[str, list[Any]]) -> None:
    """Each bound and choice is set on a fresh estimator and run through scikit-learn's own parameter validation
    (`_validate_params`, what `fit` calls first), so a value is refused here for the reason `fit` would give."""
    if not space:
        return
    known = set(cls(**params).get_params(deep=False))
    for name, values in space.items():
        if name not in known:
            raise ConfigError(
                f"tuning.space.{name}: {path} has no parameter {name!r}",
                details=[f"its parameters: {', '.join(sorted(known))}"],
            )
        for value in values:
            problem = _refusal(cls, {**params, name: value})
            if problem:
                raise ConfigError(f"tuning.space.{name}: {path} refuses {name}={value!r}: {problem}")


def _refusal(cls: type, params: dict[str, Any]) -> str | None:
    try:
        estimator = cls(**params)
        validate = getattr(estimator, "_validate_params", None)
        if validate is not None:  # scikit-learn >= 1.2; third-party estimators may lack it
            validate()
    except (TypeError, ValueError) as error:  # InvalidParameterError is a ValueError
        return str(error)
    return None
