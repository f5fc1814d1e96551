"""`[tuning.space]` as scikit-learn/scipy sampling distributions, and a SageMaker trial's flags back as values.

Runs in the image's Python (no slipstream imports): the space arrives as the JSON of slipstream.tuning_config.
Every parameter is addressed as `estimator__<name>`, the Pipeline step name model_pipeline.build_pipeline gives the
estimator; nothing else about the Pipeline's construction is assumed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import loguniform, randint, uniform
from sm_paths import JobError

PREFIX = "estimator__"


class LogUniformInteger:
    """Integers drawn log-uniformly from [low, high] (scipy has no discrete log-uniform): for n_estimators,
    max_leaf_nodes and the like, where 10 -> 20 matters as much as 200 -> 400."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high
        self._continuous = loguniform(low, high + 1)

    def rvs(self, random_state: Any = None) -> int:
        return min(self.high, math.floor(self._continuous.rvs(random_state=random_state)))


def kind(entry: dict[str, Any]) -> str:
    if entry.get("choices") is not None:
        return "categorical"
    integer = all(isinstance(entry[b], int) and not isinstance(entry[b], bool) for b in ("low", "high"))
    return "integer" if integer else "continuous"


def distribution(entry: dict[str, Any]) -> Any:
    """What RandomizedSearchCV samples one parameter from."""
    shape = kind(entry)
    if shape == "categorical":
        return list(entry["choices"])
    low, high, log = entry["low"], entry["high"], bool(entry.get("log"))
    if shape == "integer":
        return LogUniformInteger(low, high) if log else randint(low, high + 1)
    return loguniform(float(low), float(high)) if log else uniform(float(low), float(high) - float(low))


def distributions(space: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {PREFIX + name: distribution(entry) for name, entry in sorted(space.items())}


def plain(params: dict[str, Any]) -> dict[str, Any]:
    """{"estimator__C": np.float64(0.3)} -> {"C": 0.3}: the estimator's own names, JSON-ready values."""
    return {
        name.removeprefix(PREFIX): value.item() if isinstance(value, np.generic) else value
        for name, value in params.items()
    }


def trial_value(name: str, text: str, entry: dict[str, Any]) -> Any:
    """A tuning job's value for one parameter, as the training toolkit hands it over (`--name str(value)`).

    Categorical values travel as text: the one whose text matches is the choice (so "1", 1 and True stay apart
    as the config wrote them). Ranges are checked: a value outside the configured range means the job was not
    started from this config."""
    shape = kind(entry)
    if shape == "categorical":
        for choice in entry["choices"]:
            if text in (str(choice), _json_text(choice)):
                return choice
        raise JobError(f"tuning: {name}={text!r} is not one of the configured choices {entry['choices']}")
    try:
        value: float = int(text) if shape == "integer" else float(text)
    except ValueError:
        raise JobError(f"tuning: {name}={text!r} is not {'an integer' if shape == 'integer' else 'a number'}") from None
    slack = 1e-9 * (abs(entry["high"]) + abs(entry["low"]))  # the service prints floats, a last digit may move
    if not entry["low"] - slack <= value <= entry["high"] + slack:
        raise JobError(f"tuning: {name}={value} is outside the configured range [{entry['low']}, {entry['high']}]")
    return value


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value)
