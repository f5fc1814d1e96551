"""`[experiment]` in slipstream.toml: how a challenger is compared with the champion on live traffic.

The statistics that read these settings are in `slipstream.experiment` (docs/experiments.md explains the
method). Defaults that depend on the task or on `gate.promote` are filled by `resolve_experiment`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

OutcomeMetric = Literal["accuracy", "log_loss", "absolute_error", "squared_error"]

# Per task: outcome metric -> True when lower is better (per-row losses and errors).
OUTCOME_METRICS: dict[str, dict[str, bool]] = {
    "classification": {"accuracy": False, "log_loss": True},
    "regression": {"absolute_error": True, "squared_error": True},
}
DEFAULT_OUTCOME: dict[str, OutcomeMetric] = {"classification": "accuracy", "regression": "absolute_error"}
# Absolute differences worth acting on. Regression errors are in the target's units, so no default fits
# every project: those metrics need an explicit `minimum_effect` once an experiment can run.
DEFAULT_MINIMUM_EFFECT: dict[str, float] = {"accuracy": 0.02, "log_loss": 0.02}
# With no explicit weight, a staged challenger gets an even split: it gives the test the most power per request.
DEFAULT_EXPERIMENT_WEIGHT = 0.5

Fraction = Annotated[float, Field(ge=0, le=1)]


class ExperimentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: OutcomeMetric | None = Field(
        default=None,
        description="Per-row outcome the variants are compared on: `accuracy` or `log_loss` (classification), "
        "`absolute_error` or `squared_error` (regression). Default: `accuracy` / `absolute_error`.",
    )
    alpha: float = Field(
        default=0.05,
        gt=0,
        le=0.2,
        description="Chance of promoting (or stopping) on a difference that is not there, however often the "
        "result is checked: the test is always valid under peeking.",
    )
    minimum_effect: float | None = Field(
        default=None,
        gt=0,
        description="Smallest absolute difference in the metric that matters (0.02 = two points of accuracy). "
        "Default 0.02 for `accuracy` and `log_loss`; required for regression metrics (target units). "
        "Smaller effects need more samples: see docs/experiments.md.",
    )
    weight: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Share of callers routed to the challenger. Default 0.5 when `gate.promote = "
        '"challenger"`, else 0 (no A/B). Replaces `[serving] challenger_weight`, still read as an alias.',
    )
    shadow_share: Fraction = Field(
        default=0.0,
        description="Share of champion requests mirrored to the challenger; the caller only sees the champion.",
    )
    auto_decide: bool = Field(
        default=False, description="Promote or stop the challenger as soon as the result is decided."
    )
    min_samples: int = Field(
        default=200,
        ge=30,
        description="Rows with ground truth each variant needs before any decision (the test's variance "
        "estimate is unreliable below this).",
    )
    max_error_rate: Fraction = Field(
        default=0.01, description="Guardrail: a variant failing more of its requests than this is breached."
    )
    max_p95_latency_ms: float = Field(
        default=2000.0, gt=0, description="Guardrail: ceiling on a variant's 95th-percentile latency (ms)."
    )
    srm_alpha: float = Field(
        default=0.001,
        gt=0,
        lt=0.5,
        description="Significance of the sample-ratio-mismatch check: assignment counts this unlikely under "
        "the configured weight make the experiment invalid.",
    )

    @property
    def lower_is_better(self) -> bool:
        return self.metric in ("log_loss", "absolute_error", "squared_error")


def resolve_experiment(experiment: ExperimentConfig, *, task: str, promote: str) -> ExperimentConfig:
    """Fill the defaults that depend on the task and on `gate.promote`; ValueError names what is wrong."""
    metric = experiment.metric or DEFAULT_OUTCOME[task]
    if metric not in OUTCOME_METRICS[task]:
        raise ValueError(
            f"experiment.metric {metric!r} is not a {task} outcome; choose one of {sorted(OUTCOME_METRICS[task])}"
        )
    weight = experiment.weight
    if weight is None:
        weight = DEFAULT_EXPERIMENT_WEIGHT if promote == "challenger" else 0.0
    minimum_effect = experiment.minimum_effect or DEFAULT_MINIMUM_EFFECT.get(metric)
    if minimum_effect is None and promote == "challenger" and weight > 0:
        raise ValueError(
            f"experiment.minimum_effect is required for {metric!r}: errors are in the target's units, so set the "
            "smallest change in mean error that matters (e.g. minimum_effect = 0.5)"
        )
    update = {"metric": metric, "weight": weight, "minimum_effect": minimum_effect}
    return experiment.model_copy(update=update)
