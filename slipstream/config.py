"""`slipstream.toml`: the one file a user edits. Parsed into typed, validated models.

Defaults depend on the task, so they are filled after parsing (see `_fill_task_defaults`).
Nothing here imports scikit-learn: the CDK app reads this file too, and must stay light.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from slipstream.alarm_config import AlarmsConfig, RetrainingConfig, check_retraining, resolve_alarms
from slipstream.batch_config import BatchConfig
from slipstream.canary_config import CanaryConfig
from slipstream.errors import ConfigError
from slipstream.experiment_config import ExperimentConfig, resolve_experiment
from slipstream.observability_config import ObservabilityConfig
from slipstream.promotion_config import promotion_problems
from slipstream.stage_config import STAGE_NAMES, StageConfig
from slipstream.tuning_config import TuningConfig, resolve_tuning

Task = Literal["classification", "regression"]

# metric -> True when higher is better. The gate needs the direction to compare champion and challenger.
METRICS: dict[Task, dict[str, bool]] = {
    "classification": {"accuracy": True, "f1": True, "roc_auc": True, "log_loss": False},
    "regression": {"r2": True, "rmse": False, "mae": False},
}
DEFAULT_ESTIMATOR: dict[Task, str] = {
    "classification": "sklearn.linear_model.LogisticRegression",
    "regression": "sklearn.ensemble.HistGradientBoostingRegressor",
}
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "sklearn.linear_model.LogisticRegression": {"max_iter": 1000},
}
# The gate's metric by task. No default threshold: by default the gate asks for a confident lift over the naive
# baseline (slipstream/steps/gate.py), which needs no number that suits one dataset and not the next.
DEFAULT_GATE: dict[Task, str] = {"classification": "roc_auc", "regression": "r2"}

Fraction = Annotated[float, Field(ge=0, le=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Strict):
    source: str = Field(description="CSV or Parquet path relative to the config file, or `sklearn:<dataset>`.")
    target: str = Field(min_length=1, description="Column holding the label or value to predict.")
    task: Task = Field(description="`classification` or `regression`: picks metrics and defaults.")
    ignore_columns: list[str] = Field(default_factory=list, description="Columns dropped before training.")
    sensitive: list[str] = Field(
        default_factory=list,
        description="Protected or sensitive columns (age, sex, ...): the model card warns when the model relies "
        "on one most (docs/explanations.md).",
    )
    identifiers: list[str] = Field(
        default_factory=list,
        description="Columns that identify a row (ids, names): a warning when one is still a feature or the "
        "model relies on one most; list them in ignore_columns too.",
    )
    contract: str | None = Field(default=None, description="Data contract path (default: `<state_dir>/contract.json`).")
    test_size: float = Field(default=0.2, gt=0, lt=1, description="Held-out share used only for evaluation.")
    seed: int = Field(default=42, ge=0, description="Seed for the split and the estimator.")
    min_rows: int = Field(default=50, ge=10, description="Fewer rows than this is refused.")
    max_duplicate_rate: Fraction = Field(default=0.05, description="Largest share of duplicate rows allowed.")
    range_tolerance: float = Field(
        default=0.1, ge=0, description="How far past the contract's min/max (as a share of its span) is allowed."
    )
    null_rate_tolerance: Fraction = Field(
        default=0.05, description="How much a column's null rate may grow over the contract's."
    )
    max_training_drift: float = Field(
        default=0.2,
        ge=0,
        description="Before training, new data is compared with the contract's baseline by the drift test "
        "monitoring uses (chi-square, Holm at `monitoring.drift_alpha`); a feature drifts when that test says so "
        "and its PSI is at least this.",
    )
    on_training_drift: Literal["warn", "refuse"] = Field(
        default="warn",
        description="`warn`: train anyway, saying so in the run summary and the model card (retraining after a "
        "drift alarm is meant to learn the new data); `refuse`: ValidateData fails and nothing is trained.",
    )

    @model_validator(mode="after")
    def _target_not_ignored(self) -> DataConfig:
        if self.target in self.ignore_columns:
            raise ValueError(f"target column {self.target!r} is also listed in ignore_columns")
        return self


class ModelConfig(_Strict):
    estimator: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$",
        description="Import path of a scikit-learn compatible estimator (default chosen by task).",
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments for the estimator.")
    intended_use: str | None = Field(default=None, description="Who may use the model for what (model card).")
    limitations: str | None = Field(default=None, description="Known limits and risks (model card).")


class GateConfig(_Strict):
    metric: str | None = Field(default=None, description="Metric the gate decides on (default by task).")
    threshold: float | None = Field(
        default=None,
        description="Optional absolute bar on the held-out value: a minimum for higher-is-better metrics, a "
        "maximum for error metrics. Without it the gate needs no number: the challenger must beat the naive "
        "baseline (training mean / majority class) on the same rows by a margin its 95% interval supports.",
    )
    max_regression: float = Field(
        default=0.01,
        ge=0,
        description="Margin against the champion, in the metric's units (set it for rmse/mae): a difference "
        "smaller than this either way is no difference. The challenger is `worse` (rejected) only when the whole "
        "95% interval of challenger - champion lies below -max_regression, `better` only when it lies above "
        "+max_regression; otherwise `not distinguishable`.",
    )
    champion: Literal["not_worse", "better"] = Field(
        default="not_worse",
        description='Against the champion: `not_worse` passes "better" and "not distinguishable", `better` '
        "passes only a challenger whose interval lies above the champion's value plus max_regression.",
    )
    require_behaviour: bool = Field(default=True, description="Reject when any behavioural test fails.")
    promote: Literal["champion", "challenger", "canary"] = Field(
        default="champion",
        description="What a passing model becomes: the champion at once, a challenger for an A/B test "
        "(`[experiment]`) until it is promoted or stopped, or a canary (`[canary]`) promoted after a clean bake "
        "and rolled back automatically when one of its alarms fires.",
    )


class DirectionalCheck(_Strict):
    feature: str
    direction: Literal["increase", "decrease"] = Field(description="How the score must move when the feature grows.")
    delta: float = Field(default=1.0, gt=0, description="How much the feature grows, in standard deviations.")
    target_class: str | int | None = Field(
        default=None, description="Class whose probability is the score (default: the last class)."
    )
    max_violation_rate: Fraction = Field(default=0.1, description="Share of rows allowed to move the wrong way.")


class InvarianceCheck(_Strict):
    feature: str
    noise: float = Field(default=0.05, gt=0, description="Perturbation size, in standard deviations.")
    max_change_rate: Fraction = Field(
        default=0.02, description="Share of rows whose prediction may change (regression: move > 5% of std)."
    )


class MinimumCase(_Strict):
    name: str
    instance: dict[str, Any] = Field(description="Feature values; features left out take typical values.")
    expected: str | int | float | None = Field(default=None, description="Expected label (classification).")
    expected_min: float | None = Field(default=None, description="Lowest acceptable prediction (regression).")
    expected_max: float | None = Field(default=None, description="Highest acceptable prediction (regression).")

    @model_validator(mode="after")
    def _has_expectation(self) -> MinimumCase:
        if self.expected is None and self.expected_min is None and self.expected_max is None:
            raise ValueError("give `expected` (a label) or `expected_min`/`expected_max` (a range)")
        return self


class BehaviourConfig(_Strict):
    directional: list[DirectionalCheck] = Field(default_factory=list)
    invariance: list[InvarianceCheck] = Field(default_factory=list)
    minimum_functionality: list[MinimumCase] = Field(default_factory=list)


class ServingConfig(_Strict):
    host: str = Field(default="127.0.0.1", description="Where `slipstream serve` listens (loopback by default).")
    port: int = Field(default=8080, ge=1, le=65535, description="Port of the local prediction API.")
    max_rows: int = Field(default=100, ge=1, le=10_000, description="Most instances accepted per request.")
    max_body_bytes: int = Field(
        default=1_000_000, ge=1_000, le=6_000_000, description="Largest request body (Lambda's limit is 6 MB)."
    )
    caller_header: str = Field(
        default="X-Caller-Id", description="Header whose value keeps a caller on the same variant."
    )
    capture: bool = Field(default=True, description="Record every request and response for drift monitoring.")
    request_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=300,
        description="Longest a request may take to arrive, headers to last byte, in `slipstream serve` (a body "
        "trickling in slowly gets a 408 at this deadline, not only after a pause of the socket timeout).",
    )
    feedback_auth: Literal["api_key", "iam"] = Field(
        default="api_key",
        description="How POST /feedback is authorized on AWS: `api_key` (the predictions' key) or `iam` (SigV4: "
        "the labelling job's role needs execute-api:Invoke on it; /predict keeps the API key).",
    )


class MonitoringConfig(_Strict):
    drift_alpha: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="Chance that a window with no drift is still called drift, per model version (tests "
        "corrected for the number of features; see docs/monitoring.md).",
    )
    drift_min_psi: float = Field(
        default=0.2,
        ge=0,
        description="Smallest shift (PSI) that is drift, however significant, so a huge window does not flag a "
        "negligible one (0.1 is a small shift, 0.25 a large one). `psi_threshold` is its deprecated name.",
    )
    min_samples: int = Field(
        default=100, ge=10, description="Fewer captured rows per model version than this is 'not enough data'."
    )
    min_feedback: int = Field(
        default=30, ge=1, description="Fewer rows with ground truth per variant than this: no quality figure."
    )
    window_hours: int = Field(default=24, ge=1, le=24 * 14, description="Captured traffic the drift Lambda reads.")
    schedule: str = Field(default="rate(1 hour)", description="EventBridge schedule expression of the drift Lambda.")
    slack_webhook_secret: str | None = Field(
        default=None,
        description="Secrets Manager secret holding the Slack webhook URL (default: `<name>/slack-webhook`).",
    )
    slack_webhook_env: str = Field(
        default="SLIPSTREAM_SLACK_WEBHOOK_URL",
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="Environment variable `slipstream notify` reads the webhook URL from on a laptop.",
    )
    runbook_url: str | None = Field(
        default=None, description="Where your team reads docs/runbook.md (e.g. on GitHub); alarms link to its sections."
    )
    alarms: AlarmsConfig = Field(default_factory=AlarmsConfig, description="The alarms' thresholds (docs/runbook.md).")

    def secret_name(self, project: str) -> str:
        return self.slack_webhook_secret or f"{project}/slack-webhook"

    @property
    def psi_threshold(self) -> float:
        """Deprecated name of `drift_min_psi`, still readable."""
        return self.drift_min_psi

    @model_validator(mode="before")
    @classmethod
    def _move_psi_threshold(cls, raw: Any) -> Any:
        """`psi_threshold` was the only drift rule (max PSI above it); it lives on as the effect floor."""
        if not isinstance(raw, dict) or "psi_threshold" not in raw:
            return raw
        raw = dict(raw)
        legacy = raw.pop("psi_threshold")
        if "drift_min_psi" in raw and raw["drift_min_psi"] != legacy:
            raise ValueError(
                f"psi_threshold ({legacy}) and drift_min_psi ({raw['drift_min_psi']}) disagree; keep only "
                "drift_min_psi (psi_threshold is its old name)"
            )
        warnings.warn(
            "[monitoring] psi_threshold is deprecated: write it as drift_min_psi (drift now also needs a "
            "significant test, see drift_alpha)",
            FutureWarning,
            stacklevel=2,
        )
        return {**raw, "drift_min_psi": legacy}


class WarehouseConfig(_Strict):
    athena_scan_limit_mb: int = Field(
        default=1024,
        ge=10,
        description="Athena cancels a query of the workgroup that scans more than this many MiB (min 10).",
    )


class MlflowConfig(_Strict):
    tracking_uri: str | None = Field(
        default=None, description="Default: SQLite under the state folder, artifacts beside it."
    )
    experiment: str | None = Field(default=None, description="Default: the project name.")


class Config(_Strict):
    name: str = Field(
        default="slipstream-model",
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$",
        max_length=48,
        description="Project and registered model name (letters, digits, hyphens: it names AWS resources).",
    )
    state_dir: str = Field(default=".slipstream", description="Runs, registry and contract, beside the config.")
    data: DataConfig = Field(description="Where the data is and what to predict.")
    model: ModelConfig = Field(default_factory=ModelConfig, description="The estimator and its parameters.")
    gate: GateConfig = Field(default_factory=GateConfig, description="When a new model may replace the champion.")
    behaviour: BehaviourConfig = Field(
        default_factory=BehaviourConfig, description="Behavioural tests every model must pass."
    )
    mlflow: MlflowConfig = Field(default_factory=MlflowConfig, description="Tracking and registry location.")
    serving: ServingConfig = Field(default_factory=ServingConfig, description="The prediction API.")
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig, description="Drift, quality and alerts.")
    warehouse: WarehouseConfig = Field(
        default_factory=WarehouseConfig, description="The `captures` and `feedback` tables (Athena on AWS)."
    )
    experiment: ExperimentConfig = Field(
        default_factory=ExperimentConfig, description="How a challenger is compared with the champion on live traffic."
    )
    canary: CanaryConfig = Field(
        default_factory=CanaryConfig,
        description='The canary rollout used when `gate.promote = "canary"`: share, bake time and alarms.',
    )
    observability: ObservabilityConfig = Field(
        default_factory=ObservabilityConfig, description="Telemetry beyond CloudWatch: Datadog (optional)."
    )
    retraining: RetrainingConfig = Field(
        default_factory=RetrainingConfig, description="Which alarms start a retraining run (opt-in), and its cooldown."
    )
    tuning: TuningConfig | None = Field(
        default=None, description="Search the estimator's parameters instead of fixing them (docs/tuning.md)."
    )
    batch: BatchConfig = Field(default_factory=BatchConfig, description="Scoring whole files (`slipstream predict`).")
    stages: dict[Literal["dev", "staging", "prod"], StageConfig] = Field(
        default_factory=dict, description="Per-stage deployment overrides, e.g. `[stages.prod]`."
    )
    # Set by `load_config`; relative paths in the file resolve against it.
    base_dir: Path = Field(default=Path("."), exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _challenger_weight_alias(cls, raw: Any) -> Any:
        return _move_challenger_weight(raw)

    def lambda_json(self) -> str:
        """The config as the Lambdas receive it (SLIPSTREAM_CONFIG). Lambda allows 4 KB of environment per function
        (Datadog's variables take ~550 bytes of it), so only what differs from the defaults travels: the Lambda
        parses it with the same code and gets the same config back. The Datadog settings stay out altogether: only
        the CDK app reads them, and turning them on or off changes no function's environment."""
        exclude = {"observability": True, "stages": {"__all__": {"datadog"}}}
        return self.model_dump_json(exclude_defaults=True, exclude=exclude)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _stage_datadog(self) -> Config:
        for name, stage in self.stages.items():
            try:
                stage.datadog.applied_to(self.observability.datadog)
            except ValidationError as error:
                raise ValueError(f"stages.{name}.datadog: {error.errors()[0]['msg']}") from None
        return self

    @model_validator(mode="after")
    def _batch_apart_from_data(self) -> Config:
        problems = self.batch.data_prefix_problems({name: self.stage(name).data_prefix for name in STAGE_NAMES})
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _promotion_sources(self) -> Config:
        problems = promotion_problems({name: self.stage(name) for name in STAGE_NAMES})
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _fill_task_defaults(self) -> Config:
        task = self.data.task
        estimator = self.model.estimator or DEFAULT_ESTIMATOR[task]
        params = self.model.params if self.model.estimator else {**DEFAULT_PARAMS.get(estimator, {})}
        metric = self.gate.metric or DEFAULT_GATE[task]
        if metric not in METRICS[task]:
            raise ValueError(f"gate.metric {metric!r} is not a {task} metric; choose one of {sorted(METRICS[task])}")
        if self.tuning is not None:
            tuning, params = resolve_tuning(
                self.tuning,
                gate_metric=metric,
                metrics=METRICS[task],
                params=params,
                user_params=bool(self.model.estimator),
            )
            object.__setattr__(self, "tuning", tuning)
        object.__setattr__(self, "model", self.model.model_copy(update={"estimator": estimator, "params": params}))
        object.__setattr__(self, "gate", self.gate.model_copy(update={"metric": metric}))
        if self.gate.promote == "canary" and "quality" in self.canary.alarms and not self.serving.capture:
            raise ValueError(
                "canary.alarms includes 'quality', which needs captured traffic: set [serving] capture = true "
                "or leave 'quality' out of canary.alarms"
            )
        if self.gate.promote == "canary" and self.experiment.weight:
            raise ValueError(
                'experiment.weight is for A/B tests; with gate.promote = "canary" the canary\'s share is '
                "canary.share (remove experiment.weight or [serving] challenger_weight)"
            )
        experiment = resolve_experiment(self.experiment, task=task, promote=self.gate.promote)
        object.__setattr__(self, "experiment", experiment)
        self._resolve_alarms(metric, self.gate.threshold)
        return self

    def _resolve_alarms(self, gate_metric: str, gate_threshold: float | None) -> None:
        alarms = resolve_alarms(
            self.monitoring.alarms, task=self.data.task, gate_metric=gate_metric, gate_threshold=gate_threshold
        )
        object.__setattr__(self, "monitoring", self.monitoring.model_copy(update={"alarms": alarms}))
        check_retraining(self.retraining, alarms, capture=self.serving.capture)

    def stage(self, name: str) -> StageConfig:
        """Settings for one stage: the file's overrides on top of the defaults."""
        if name not in STAGE_NAMES:
            raise ConfigError(f"unknown stage {name!r}; choose one of {', '.join(STAGE_NAMES)}")
        return self.stages.get(name) or StageConfig()  # type: ignore[call-overload]

    # --- derived locations -------------------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return (self.base_dir / self.state_dir).resolve()

    @property
    def contract_path(self) -> Path:
        if self.data.contract:
            return (self.base_dir / self.data.contract).resolve()
        return self.state_path / "contract.json"

    @property
    def tracking_uri(self) -> str:
        return self.mlflow.tracking_uri or f"sqlite:///{self.state_path / 'mlflow.db'}"

    @property
    def experiment_name(self) -> str:
        return self.mlflow.experiment or self.name

    @property
    def challenger_weight(self) -> float:
        """Share of callers routed to a challenger: `[experiment] weight` with its default filled, or the
        canary's share when `gate.promote = "canary"` (a canary is served as the challenger variant)."""
        if self.gate.promote == "canary":
            return self.canary.share
        return self.experiment.weight or 0.0

    @property
    def higher_is_better(self) -> bool:
        return METRICS[self.data.task][self.gate.metric or ""]


def _move_challenger_weight(raw: Any) -> Any:
    """`[serving] challenger_weight` was the weight before `[experiment] weight`; read it as that, once."""
    serving = raw.get("serving") if isinstance(raw, dict) else None
    if not isinstance(serving, dict) or "challenger_weight" not in serving:
        return raw
    serving = dict(serving)
    legacy = serving.pop("challenger_weight")
    experiment = raw.get("experiment")
    experiment = dict(experiment) if isinstance(experiment, dict) else {}
    if "weight" in experiment and experiment["weight"] != legacy:
        raise ValueError(
            "serving.challenger_weight and experiment.weight disagree; keep only experiment.weight "
            "(challenger_weight is its old name)"
        )
    experiment["weight"] = legacy
    warnings.warn(
        "[serving] challenger_weight is deprecated: write it as [experiment] weight", FutureWarning, stacklevel=2
    )
    return {**raw, "serving": serving, "experiment": experiment}


def format_validation_error(error: ValidationError, source: str) -> list[str]:
    """One line per problem: the key's dotted path in the file, then pydantic's reason."""
    lines = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or "(top level)"
        reason = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            reason = "unknown key (check the spelling; see docs/config.md)"
        lines.append(f"{source}: {path}: {reason}")
    return lines


def parse_config(raw: dict[str, Any], *, base_dir: Path, source: str = "config") -> Config:
    try:
        return Config.model_validate({**raw, "base_dir": base_dir})
    except ValidationError as error:
        raise ConfigError(f"{source} is not valid", details=format_validation_error(error, source)) from None


def load_config(path: Path | str) -> Config:
    """Read and validate a config file; every problem is a ConfigError naming the key."""
    import tomllib  # here: the ValidateData processing job parses JSON on the image's Python 3.10, which lacks it

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    if "base_dir" in raw:
        raise ConfigError(f"{path} is not valid", details=[f"{path}: base_dir: unknown key"])
    return parse_config(raw, base_dir=path.resolve().parent, source=str(path))
