"""`[canary]` in slipstream.toml: a passing model goes live for a share of callers, bakes, and is promoted or
rolled back automatically (`gate.promote = "canary"`). The rule that decides is `slipstream.canary`; the same
thresholds become CloudWatch alarms on AWS (cdk/pipeline/canary_alarms.py) and are measured on captured
traffic locally (slipstream/canary_traffic.py). docs/canary.md explains the rollout.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CanaryAlarm = Literal["errors", "latency", "quality"]
CANARY_ALARMS: tuple[CanaryAlarm, ...] = ("errors", "latency", "quality")


class CanaryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    share: float = Field(
        default=0.1,
        gt=0,
        le=0.5,
        description="Share of callers routed to the canary during the bake (sticky per caller, as an experiment).",
    )
    bake_minutes: int = Field(
        default=60, ge=1, le=24 * 60, description="How long the canary serves its share before it is promoted."
    )
    check_minutes: int = Field(
        default=5,
        ge=1,
        le=60,
        description="How often the alarms are checked during the bake (on AWS: the state machine's Wait).",
    )
    alarms: list[CanaryAlarm] = Field(
        default_factory=lambda: list(CANARY_ALARMS),
        min_length=1,
        description="Which alarms roll the canary back: `errors` (its error rate), `latency` (its p95), "
        "`quality` (its live metric from feedback, against the champion's; only once feedback exists).",
    )
    max_error_rate: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="errors: share of the canary's requests that may fail (SageMaker 5XX and model errors).",
    )
    max_p95_latency_ms: float = Field(
        default=2000.0, gt=0, description="latency: ceiling on the canary's 95th-percentile model latency (ms)."
    )
    max_quality_drop: float = Field(
        default=0.05,
        ge=0,
        description="quality: how much worse than the champion the canary's live metric may be (accuracy for "
        "classification, mean absolute error in target units for regression). Needs `[monitoring] min_feedback` "
        "labelled rows per variant before it can fire.",
    )
    min_requests: int = Field(
        default=20,
        ge=1,
        description="Requests the canary needs in a check period before its error rate or latency can fire.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> CanaryConfig:
        if len(set(self.alarms)) != len(self.alarms):
            raise ValueError(f"canary.alarms lists an alarm twice: {self.alarms}")
        if self.check_minutes > self.bake_minutes:
            raise ValueError(
                f"canary.check_minutes ({self.check_minutes}) is longer than canary.bake_minutes "
                f"({self.bake_minutes}): the bake would end before the first check"
            )
        return self
