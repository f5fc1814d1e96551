"""`[monitoring.alarms]` and `[retraining]` in slipstream.toml: the alarms' thresholds, and which alarms start a
retraining run. The alarms are built in cdk/monitoring/alarms.py (docs/runbook.md has a section per alarm); the
retraining trigger is the pipeline stack's RetrainOnAlarm rule and the StartPipeline Lambda's decision.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Per task: the live quality figures the drift Lambda publishes from feedback (slipstream/monitoring/quality.py,
# as `Live<Metric>`), and whether higher is better.
LIVE_METRICS: dict[str, dict[str, bool]] = {
    "classification": {"accuracy": True},
    "regression": {"mae": False, "rmse": False},
}
DEFAULT_LIVE_METRIC = {"classification": "accuracy", "regression": "mae"}
RetrainOn = Literal["drift", "quality"]


class AlarmsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    api_5xx_rate: float = Field(
        default=0.05, gt=0, le=1, description="Share of API requests answered 5XX (per 5 minutes) that alarms."
    )
    api_p99_latency_ms: float = Field(
        default=8000, gt=0, description="API p99 latency that alarms when sustained (allows a serverless cold start)."
    )
    model_p99_latency_ms: float = Field(
        default=5000, gt=0, description="Endpoint p99 model latency that alarms when sustained."
    )
    slow_periods: int = Field(
        default=3, ge=1, le=24, description="Consecutive 5-minute periods above a latency threshold before alarming."
    )
    prediction_drift_runs: int = Field(
        default=1,
        ge=1,
        le=24,
        description="Consecutive drift runs (hours, with the default schedule) that must flag prediction drift "
        "before the prediction-drift alarm fires.",
    )
    quality_metric: Literal["accuracy", "mae", "rmse"] | None = Field(
        default=None,
        description="Live metric (from feedback) the quality alarm watches: `accuracy` (classification), `mae` or "
        "`rmse` (regression). Default: the gate's metric when it is one of these, else accuracy / mae by task.",
    )
    quality_floor: float | None = Field(
        default=None,
        description="The quality alarm fires when the live metric is worse than this: below it for accuracy, above "
        "it for mae/rmse (target units). Default: the gate's threshold when the gate decides on the same metric; "
        "otherwise unset, and then there is **no quality alarm** (the default gate, roc_auc or r2, is not a live "
        "metric: set a floor to get one).",
    )
    lost_captures: int = Field(
        default=1,
        ge=1,
        description="Captured records the predict Lambda dropped (queue full) or failed to write, per 5 minutes, "
        "that alarm (each kind separately).",
    )
    capture_delivery_success: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Share of the capture stream's S3 deliveries that must succeed (per 5 minutes); lower alarms.",
    )
    issued_failed: int = Field(
        default=1,
        ge=1,
        description="Issued request ids the predict Lambda failed to record, per 5 minutes, that alarm: feedback for "
        "those predictions will be refused (404), so live quality and experiments lose their labels.",
    )
    function_errors: int = Field(
        default=1, ge=1, description="Errors of the drift (and experiment) Lambda per run that alarm."
    )


class RetrainingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    on: list[RetrainOn] = Field(
        default_factory=list,
        description="Champion alarms that start a retraining run when they fire (opt-in, off by default): `drift` "
        "(feature or prediction drift), `quality` (live quality below `[monitoring.alarms] quality_floor`). The run "
        "starts only when the newest data under the stage's data prefix was not trained on yet.",
    )
    cooldown_hours: int = Field(
        default=24,
        ge=1,
        le=24 * 30,
        description="No alarm-started run when any pipeline run started within this many hours.",
    )


def resolve_alarms(alarms: AlarmsConfig, *, task: str, gate_metric: str, gate_threshold: float | None) -> AlarmsConfig:
    """Fill the quality metric and floor from the gate where they match (the gate's absolute threshold, when the
    user set one: the default gate has none); ValueError names what is wrong."""
    live = LIVE_METRICS[task]
    metric = alarms.quality_metric or (gate_metric if gate_metric in live else DEFAULT_LIVE_METRIC[task])
    if metric not in live:
        raise ValueError(
            f"monitoring.alarms.quality_metric {metric!r} is not a live {task} metric; choose one of {sorted(live)}"
        )
    floor = alarms.quality_floor
    if floor is None and metric == gate_metric:
        floor = gate_threshold
    return alarms.model_copy(update={"quality_metric": metric, "quality_floor": floor})


def check_retraining(retraining: RetrainingConfig, alarms: AlarmsConfig, *, capture: bool) -> None:
    """Each alarm `[retraining] on` names must exist; ValueError says how to get it."""
    if retraining.on and not capture:
        raise ValueError(
            "retraining.on needs captured traffic (drift and live quality are measured on it): set "
            "[serving] capture = true or leave retraining.on empty"
        )
    if "quality" in retraining.on and alarms.quality_floor is None:
        raise ValueError(
            "retraining.on includes 'quality', but there is no quality alarm: set [monitoring.alarms] quality_floor"
        )
