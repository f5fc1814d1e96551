"""Check `[model]` before any work starts: the import path exists, is an estimator for the task, takes the params;
then `[tuning.space]` against it (slipstream/tuning_check.py)."""

from __future__ import annotations

import importlib
from typing import Any

from slipstream.config import Config
from slipstream.errors import ConfigError
from slipstream.tuning_check import check_tuning


def _import(path: str) -> Any:
    module_name, _, attr = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigError(f"model.estimator: cannot import module {module_name!r} ({error})") from None
    if not hasattr(module, attr):
        raise ConfigError(f"model.estimator: module {module_name!r} has no attribute {attr!r}")
    return getattr(module, attr)


def check_estimator(config: Config) -> None:
    """Raise ConfigError naming `model.estimator` or `model.params` when the model section cannot work."""
    from sklearn.base import is_classifier, is_regressor

    path = config.model.estimator or ""
    cls = _import(path)
    if not callable(cls):
        raise ConfigError(f"model.estimator: {path!r} is not a class")
    try:
        estimator = cls(**config.model.params)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"model.params: {path} does not accept these parameters: {error}") from None
    if not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
        raise ConfigError(f"model.estimator: {path!r} is not an estimator (no fit/predict)")
    task = config.data.task
    wrong = is_regressor(estimator) if task == "classification" else is_classifier(estimator)
    if wrong:
        kind = "a regressor" if task == "classification" else "a classifier"
        raise ConfigError(f"model.estimator: {path} is {kind}, but data.task is {task!r}")
    check_tuning(config, cls)
