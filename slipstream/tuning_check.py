"""Check `[tuning.space]` against the configured estimator before any trial runs, naming `tuning.space.<name>`."""

from __future__ import annotations

from typing import Any

from slipstream.config import Config
from slipstream.errors import ConfigError


def check_tuning(config: Config, estimator_class: type) -> None:
    """Raise ConfigError when a searched parameter is unknown to the estimator or a bound/choice is refused by it.

    Each bound and choice is set on a fresh estimator and run through scikit-learn's own parameter validation
    (`_validate_params`, what `fit` calls first), so a value is refused here for the reason `fit` would give."""
    if config.tuning is None:
        return
    path = config.model.estimator
    known = set(estimator_class(**config.model.params).get_params(deep=False))
    for name, entry in config.tuning.space.items():
        if name not in known:
            raise ConfigError(
                f"tuning.space.{name}: {path} has no parameter {name!r}",
                details=[f"its parameters: {', '.join(sorted(known))}"],
            )
        for value in entry.values_to_check():
            problem = _refusal(estimator_class, {**config.model.params, name: value})
            if problem:
                raise ConfigError(f"tuning.space.{name}: {path} refuses {name}={value!r}: {problem}")


def _refusal(estimator_class: type, params: dict[str, Any]) -> str | None:
    try:
        estimator = estimator_class(**params)
        validate = getattr(estimator, "_validate_params", None)
        if validate is not None:  # scikit-learn >= 1.2; third-party estimators may lack it
            validate()
    except (TypeError, ValueError) as error:  # InvalidParameterError is a ValueError
        return str(error)
    return None
