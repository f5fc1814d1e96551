"""The experiment result: one document that the CLI, the experiment Lambda, Slack and the report share."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from slipstream.experiment.guardrails import Guardrail
from slipstream.experiment.srm import SampleRatio
from slipstream.experiment_config import OutcomeMetric

Decision = Literal[
    "challenger better",
    "champion better",
    "no difference detectable",
    "keep collecting",
    "invalid (sample ratio mismatch)",
]
# One number per decision, for CloudWatch (a metric holds no text); the dashboard's annotations name each.
DECISION_CODES: dict[Decision, int] = {
    "keep collecting": 0,
    "no difference detectable": 1,
    "challenger better": 2,
    "champion better": 3,
    "invalid (sample ratio mismatch)": 4,
}
# What an automatic decider does with a result; `investigate` is for a person (nothing is changed).
Action = Literal["promote", "stop", "continue", "investigate"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Interval(_Frozen):
    lower: float
    upper: float

    def contains(self, value: float) -> bool:
        return self.lower <= value <= self.upper


class VariantSummary(_Frozen):
    variant: Literal["champion", "challenger"]
    versions: list[str] = Field(default_factory=list, description="Model versions that answered as this variant.")
    assigned: int = Field(ge=0, description="Requests routed to this variant (the sample-ratio check counts these).")
    labelled: int = Field(ge=0, description="Rows with ground truth: the outcomes the test uses.")
    mean_outcome: float | None = Field(description="Mean of the per-row outcome (accuracy, loss or error).")


class Look(_Frozen):
    """The test after `n_champion + n_challenger` outcomes: the interval narrowing over time, for the report."""

    n_champion: int
    n_challenger: int
    estimate: float
    lower: float
    upper: float
    p_value: float
    mean_champion: float | None = Field(default=None, description="The champion's mean outcome so far.")
    mean_challenger: float | None = Field(default=None, description="The challenger's mean outcome so far.")


class LatencySummary(_Frozen):
    p50_ms: float | None
    p95_ms: float | None


class ShadowSummary(_Frozen):
    """Shadow mode (slipstream.experiment.shadow): mirrored requests side by side; not part of the test."""

    requests: int = Field(ge=0, description="Champion requests mirrored to the challenger.")
    failed: int = Field(ge=0, description="Mirrored requests the challenger failed, timed out on, or was too busy for.")
    rows: int = Field(ge=0, description="Rows both variants answered.")
    agreement: float | None = Field(
        description="Classification: share of those rows where both predicted the same label."
    )
    mean_abs_difference: float | None = Field(description="Regression: mean |challenger - champion| prediction.")
    champion_latency: LatencySummary
    challenger_latency: LatencySummary


class ExperimentResult(_Frozen):
    metric: OutcomeMetric
    lower_is_better: bool = Field(description="True for losses and errors: a negative effect favours the challenger.")
    alpha: float
    minimum_effect: float
    weight: float = Field(description="The challenger's configured share of callers.")
    decision: Decision
    action: Action
    reason: str = Field(description="The decision in one sentence, with the figures it rests on.")
    effect: float | None = Field(description="Latest estimate of mean(challenger) - mean(champion) in the metric.")
    interval: Interval | None = Field(description="Always-valid (1 - alpha) interval for the effect.")
    p_value: float = Field(ge=0, le=1, description="Always-valid p-value of 'no difference' (1 until both are ready).")
    variants: list[VariantSummary]
    sample_ratio: SampleRatio
    guardrails: list[Guardrail]
    history: list[Look] = Field(default_factory=list, description="A thinned sequence of looks, oldest first.")
    shadow: ShadowSummary | None = Field(
        default=None, description="Shadow mode: agreement and latency on mirrored requests (None when none were)."
    )

    @property
    def breaches(self) -> list[Guardrail]:
        return [guardrail for guardrail in self.guardrails if guardrail.breached]

    def variant(self, name: str) -> VariantSummary:
        return next(summary for summary in self.variants if summary.variant == name)
