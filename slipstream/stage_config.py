"""Per-stage deployment settings (`[stages.<name>]` in slipstream.toml): what differs between dev, staging, prod.

Only the CDK app reads these; the local runtime ignores them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from slipstream.layout import DEFAULT_DATA_PREFIX, EVENT_PREFIX_PATTERN
from slipstream.observability_config import DatadogStageConfig

# https, or a SageMaker managed MLflow tracking server's ARN; plain http only to this machine (tests, a tunnel).
MLFLOW_TRACKING_URI = (
    r"^(https://[^\s/?#]+(/\S*)?|http://(127\.0\.0\.1|localhost)(:\d+)?(/\S*)?"
    r"|arn:aws[\w-]*:sagemaker:[\w-]+:\d{12}:mlflow-tracking-server/[\w-]+)$"
)

STAGE_NAMES = ("dev", "staging", "prod")
# A SageMaker instance type's shape (ml.<family>.<size>); the exact list per job kind is checked at synth time
# (cdk/pipeline/instances.py), where botocore's service model is at hand, not in every Lambda that loads the config.
INSTANCE_TYPE = r"^ml\.[a-z0-9-]+\.[a-z0-9]+$"


class StageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account: str | None = Field(default=None, pattern=r"^\d{12}$", description="Default: the CLI's account.")
    region: str | None = Field(default=None, description="Default: the CLI's region.")
    retrain_schedule: str | None = Field(
        default="rate(7 days)", description="EventBridge schedule expression for retraining; empty to disable."
    )
    training_instance_type: str = Field(
        default="ml.m5.large",
        pattern=INSTANCE_TYPE,
        description="Instance of the Train job: a CPU type SageMaker training offers (the scikit-learn image has no "
        "GPU build); checked against SageMaker's list when the app is synthesized.",
    )
    training_instance_count: int = Field(
        default=1,
        ge=1,
        le=1,
        description="Instances of the Train job. Only 1 for now: scikit-learn estimators fit on one machine, and "
        "SageMaker would run the same script on every instance and keep the first one's model (docs/aws-wall-time.md).",
    )
    training_keep_alive_minutes: int = Field(
        default=0,
        ge=0,
        le=60,
        description="SageMaker warm pool: keep the training instance this long after a job so the next run starts in "
        "seconds instead of minutes (billed while it waits, at the instance's rate). 0: no warm pool.",
    )
    serverless_memory_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = 2048
    serverless_max_concurrency: int = Field(default=5, ge=1, le=200)
    log_retention_days: int = Field(default=30, ge=1)
    retain_data: bool = Field(default=True, description="Keep buckets and keys when the stack is destroyed.")
    # --- AWS pipeline details (read by app.py only) -------------------------------------------------------
    processing_instance_type: str = Field(
        default="ml.t3.medium", pattern=INSTANCE_TYPE, description="Instance for the Evaluate processing job."
    )
    validation_processing_threshold_mb: float = Field(
        default=100,
        ge=0,
        description="ValidateData runs as a SageMaker processing job, not the Lambda, when the uploaded data is "
        "larger than this (MB); the Lambda has 2 GB of memory, 512 MB of /tmp and 5 minutes (docs/aws-wall-time.md).",
    )
    validation_instance_type: str = Field(
        default="ml.m5.2xlarge",
        pattern=INSTANCE_TYPE,
        description="Instance of the ValidateData processing job (32 GiB: a 10M-row, 32-column CSV fits a few times).",
    )
    validation_volume_gb: int = Field(
        default=50, ge=1, le=16384, description="Storage of the ValidateData processing job: the data and its splits."
    )
    max_training_minutes: int = Field(default=60, ge=5, le=1440, description="Training job stopping condition.")
    data_prefix: str = Field(
        default=DEFAULT_DATA_PREFIX,
        pattern=EVENT_PREFIX_PATTERN,
        description="New objects under this prefix of the data bucket start a pipeline run. Letters, digits and "
        "`_ . - /` only (the trigger matches it against the key as S3's events encode it), ending in `/`.",
    )
    artifact_retention_days: int = Field(
        default=365,
        ge=30,
        description="Pipeline run artifacts (datasets, models, evaluations) older than this are deleted.",
    )
    capture_retention_days: int = Field(
        default=90, ge=7, description="Captured prediction requests/responses older than this are deleted."
    )
    notification_emails: list[str] = Field(
        default_factory=list, description="Addresses subscribed to pipeline success/failure (they must confirm)."
    )
    powertools_version: str = Field(
        default="3.37.0",
        pattern=r"^\d+\.\d+\.\d+$",
        description="Powertools for AWS Lambda layer release, resolved per region at deploy time (SSM parameter).",
    )
    # --- serving (read by app.py only) --------------------------------------------------------------------
    api_auth: Literal["api_key", "iam"] = Field(
        default="api_key",
        description="How callers authenticate to the prediction API: an API key (usage plan) or SigV4 (IAM).",
    )
    api_throttle_rate: float = Field(default=20.0, gt=0, description="API stage steady-state limit, requests/s.")
    api_throttle_burst: int = Field(default=40, ge=1, description="API stage burst limit, requests.")
    api_quota_per_day: int | None = Field(
        default=None, ge=1, description="Requests per day per API key (usage plan quota); unset for no quota."
    )
    predict_reserved_concurrency: int = Field(
        default=10,
        ge=0,
        description="Reserved concurrency of the predict Lambda (caps endpoint load and cost); 0 reserves none, "
        "e.g. in a new account whose concurrency limit is still 10.",
    )
    # --- delivery: GitHub Actions deploys through OIDC (read by app.py only) -----------------------------
    github_repository: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9-]+/[A-Za-z0-9_.-]+$",
        description="`owner/repo` whose GitHub environment named after this stage may deploy it; unset: no "
        "deploy role.",
    )
    github_oidc_provider_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[\w-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$",
        description="An account holds one GitHub OIDC provider: give its ARN to reuse it instead of creating it.",
    )
    pandas_layer_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:layer:[\w-]+:\d+$",
        description="AWS SDK for pandas layer for ValidateData (default: the AWS-managed Python 3.11 arm64 layer).",
    )
    datadog: DatadogStageConfig = Field(
        default_factory=DatadogStageConfig,
        description="This stage's Datadog site, API key secret or switch (`[observability.datadog]` otherwise).",
    )
    # --- approval: a person says yes before production traffic (docs/approval.md) ----------------------------
    approval: Literal["auto", "manual"] = Field(
        default="auto",
        description="`manual`: after Register the pipeline waits (WaitForApproval, a task token) until someone "
        "runs `slipstream approve` or `slipstream reject`; no endpoint changes before that.",
    )
    approval_timeout_hours: float = Field(
        default=72,
        gt=0,
        # A standard execution lasts at most a year; the rest of the run keeps its own 6 hours.
        le=8754,
        description='With `approval = "manual"`: hours to wait for the decision; then the package is Rejected '
        '("approval timed out") and the champion keeps serving.',
    )

    # --- lineage: MLflow on AWS (docs/lineage.md#mlflow-on-aws) -------------------------------------------
    mlflow_tracking_uri: str | None = Field(
        default=None,
        pattern=MLFLOW_TRACKING_URI,
        description="MLflow tracking server every registered package also goes to (as a model version with the "
        "local registry's tags and aliases): an https URI, or a SageMaker managed MLflow tracking server ARN "
        "(SigV4). Unset: AWS uses the SageMaker Model Registry only.",
    )

    # --- promotion: train once, deploy the same package in later stages (slipstream/promotion_config.py) ----
    promote_from: Literal["dev", "staging", "prod", "none"] | None = Field(
        default=None,
        description="The stage whose Approved model packages this stage deploys (`slipstream promote`); `none`: "
        "no source. Default: staging promotes from dev, prod from staging, dev from none.",
    )
    retrain: bool | None = Field(
        default=None,
        description="Whether this stage also trains on its own data (new-data trigger, retrain_schedule, "
        "[retraining] alarms). Default: only a stage without a source trains.",
    )

    @property
    def validation_processing_threshold_bytes(self) -> int:
        return round(self.validation_processing_threshold_mb * 1024 * 1024)

    @property
    def approval_timeout_seconds(self) -> int:
        """Step Functions' TimeoutSeconds is a whole number of seconds, at least 1."""
        return max(1, round(self.approval_timeout_hours * 3600))
