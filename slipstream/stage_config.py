"""Per-stage deployment settings (`[stages.<name>]` in slipstream.toml): what differs between dev, staging, prod.

Only the CDK app reads these; the local runtime ignores them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

STAGE_NAMES = ("dev", "staging", "prod")


class StageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account: str | None = Field(default=None, pattern=r"^\d{12}$", description="Default: the CLI's account.")
    region: str | None = Field(default=None, description="Default: the CLI's region.")
    retrain_schedule: str | None = Field(
        default="rate(7 days)", description="EventBridge schedule expression for retraining; empty to disable."
    )
    training_instance_type: str = Field(default="ml.m5.large", pattern=r"^ml\.")
    serverless_memory_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = 2048
    serverless_max_concurrency: int = Field(default=5, ge=1, le=200)
    log_retention_days: int = Field(default=30, ge=1)
    retain_data: bool = Field(default=True, description="Keep buckets and keys when the stack is destroyed.")
