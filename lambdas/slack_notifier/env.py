"""The Slack notifier's environment (set by the monitoring stack), validated once per cold start."""

from __future__ import annotations

from pydantic import Field

from lambdas.common.env import BaseEnv


class NotifierEnv(BaseEnv):
    slack_webhook_secret: str = Field(alias="SLACK_WEBHOOK_SECRET", min_length=1)  # secret name or ARN
    dashboard_url: str | None = Field(default=None, alias="DASHBOARD_URL")
    runbook_url: str | None = Field(default=None, alias="RUNBOOK_URL")
    slack_attempts: int = Field(default=3, ge=1, le=5, alias="SLACK_ATTEMPTS")
    slack_timeout_seconds: float = Field(default=5.0, gt=0, le=30, alias="SLACK_TIMEOUT_SECONDS")
    secret_max_age_seconds: float = Field(default=300.0, ge=0, alias="SECRET_MAX_AGE_SECONDS")
