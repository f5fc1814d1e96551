"""`[tuning]` in slipstream.toml: search the estimator's hyperparameters instead of fixing them (docs/tuning.md).

The shape of the search space is checked here, without scikit-learn (the CDK app reads this file too); whether the
configured estimator knows and accepts each parameter is checked before any trial runs (slipstream/estimator_rules.py).
The same document travels to the training job (`TuningSpec`): locally it runs the search itself (training/tuning.py),
on AWS it scores one trial of a SageMaker tuning job (cdk/pipeline/tuning.py).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

HYPERPARAMETER_LIMIT = 2500  # characters of one hyperparameter value (CreateTrainingJob, tuning jobs alike)
Number = StrictInt | StrictFloat
Choice = StrictBool | StrictInt | StrictFloat | StrictStr


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpaceEntry(_Strict):
    """One estimator parameter: a range (`low`, `high`, `log`) or a list of `choices`, never both."""

    low: Number | None = Field(default=None, description="Smallest value tried (inclusive).")
    high: Number | None = Field(default=None, description="Largest value tried (inclusive).")
    log: bool = Field(default=False, description="Sample on a log scale (needs low > 0), e.g. for C or alpha.")
    choices: list[Choice] | None = Field(default=None, description="The values tried, instead of a range.")

    @model_validator(mode="after")
    def _one_shape(self) -> SpaceEntry:
        if self.choices is not None:
            if self.low is not None or self.high is not None or self.log:
                raise ValueError("give either choices or low/high/log, not both")
            if not self.choices:
                raise ValueError("choices is empty: give at least one value")
            # A SageMaker trial receives a choice as text (`--name str(value)`): 1 and "1" would be one value there.
            if len({str(c) for c in self.choices}) != len(self.choices):
                raise ValueError(f'choices repeats a value, or two read the same as text (1 and "1"): {self.choices}')
            return self
        if self.low is None or self.high is None:
            raise ValueError("a range needs both low and high (or give choices = [...])")
        if self.low >= self.high:
            raise ValueError(f"the range is empty or inverted: low {self.low} must be below high {self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"log = true needs low > 0 (got low {self.low})")
        return self

    @property
    def kind(self) -> Literal["integer", "continuous", "categorical"]:
        if self.choices is not None:
            return "categorical"
        return "integer" if isinstance(self.low, int) and isinstance(self.high, int) else "continuous"

    def values_to_check(self) -> list[Any]:
        """The values the estimator must accept: every choice, or both bounds (as the sampler draws them)."""
        if self.choices is not None:
            return list(self.choices)
        if self.kind == "integer":
            return [self.low, self.high]
        return [float(self.low or 0), float(self.high or 0)]


class TuningConfig(_Strict):
    trials: int = Field(default=20, ge=1, le=500, description="Most parameter sets tried (each cross-validated).")
    timeout_minutes: int = Field(
        default=30,
        ge=2,
        le=24 * 60,
        description="Wall-time budget of the search; no new trial starts after it (AWS's floor is 2 minutes).",
    )
    metric: str | None = Field(
        default=None, description="Metric the search maximises or minimises (default: the gate's `gate.metric`)."
    )
    cv_folds: int = Field(default=3, ge=2, le=10, description="Cross-validation folds, within the training split.")
    strategy: Literal["bayesian", "random"] = Field(
        default="bayesian",
        description="Search strategy of the SageMaker tuning job on AWS; the local search is random sampling.",
    )
    parallel_trials: int = Field(
        default=1, ge=1, le=10, description="Trials the SageMaker tuning job runs at once (AWS; locally one at a time)."
    )
    space: dict[str, SpaceEntry] = Field(
        min_length=1,
        description="One entry per estimator parameter: `{ low, high, log }` (integers when both bounds are "
        "integers) or `{ choices = [...] }`.",
    )


TuningMode = Literal["search", "trial"]


class TuningSpec(_Strict):
    """What the training job receives (`--tuning`, training/tuning.py): the resolved section and the metric's
    direction; `mode` says whether the job runs the whole search or scores one trial of a SageMaker tuning job."""

    mode: TuningMode
    metric: str
    higher_is_better: bool
    cv_folds: int
    trials: int
    timeout_seconds: int
    space: dict[str, SpaceEntry]


def resolve_tuning(
    tuning: TuningConfig, *, gate_metric: str, metrics: dict[str, bool], params: dict[str, Any], user_params: bool
) -> tuple[TuningConfig, dict[str, Any]]:
    """Fill the metric and settle tuned parameters against `[model] params`: a parameter the user fixed there may
    not also be searched (which should win is a guess either way); a Slipstream default (e.g. max_iter) gives way."""
    metric = tuning.metric or gate_metric
    if metric not in metrics:
        raise ValueError(f"tuning.metric {metric!r} is not a metric of this task; choose one of {sorted(metrics)}")
    fixed = sorted(set(tuning.space) & set(params))
    if fixed and user_params:
        raise ValueError(
            f"tuning.space.{fixed[0]}: {fixed[0]!r} is also fixed in model.params; "
            "remove it from one of them (a searched parameter cannot also be fixed)"
        )
    searched = {name: value for name, value in params.items() if name not in tuning.space}
    resolved = tuning.model_copy(update={"metric": metric})
    # The spec travels as one hyperparameter (JSON text, JSON-encoded again): SageMaker takes 2,500 characters.
    encoded = json.dumps(tuning_spec(resolved, higher_is_better=metrics[metric], mode="search").model_dump_json())
    if len(encoded) > HYPERPARAMETER_LIMIT:
        raise ValueError(
            f"tuning.space is too large to travel as a SageMaker hyperparameter ({len(encoded)} characters encoded, "
            f"at most {HYPERPARAMETER_LIMIT}): fewer or shorter choices"
        )
    return resolved, searched


def tuning_spec(tuning: TuningConfig, *, higher_is_better: bool, mode: TuningMode) -> TuningSpec:
    return TuningSpec(
        mode=mode,
        metric=tuning.metric or "",
        higher_is_better=higher_is_better,
        cv_folds=tuning.cv_folds,
        trials=tuning.trials,
        timeout_seconds=tuning.timeout_minutes * 60,
        space=tuning.space,
    )
