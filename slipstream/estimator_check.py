"""Check `[model]` and `[tuning.space]` before any work starts, with the scikit-learn of this process
(slipstream/estimator_rules.py; `slipstream run` checks them with the image's: slipstream/local/image_check.py)."""

from __future__ import annotations

from typing import Any

from slipstream.config import Config
from slipstream.estimator_rules import check_model


def searched_values(config: Config) -> dict[str, list[Any]]:
    """Each searched parameter's values the estimator must accept (none without [tuning])."""
    space = config.tuning.space if config.tuning else {}
    return {name: entry.values_to_check() for name, entry in space.items()}


def check_estimator(config: Config) -> None:
    """Raise ConfigError naming `model.estimator`, `model.params` or `tuning.space.<name>` when it cannot work."""
    check_model(config.model.estimator or "", config.model.params, config.data.task, searched_values(config))
