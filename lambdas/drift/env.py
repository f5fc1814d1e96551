"""The drift Lambda's environment (set by the monitoring stack), validated once per cold start."""

from __future__ import annotations

from pydantic import Field

from lambdas.common.env import ConfigEnv


class DriftEnv(ConfigEnv):
    capture_bucket: str = Field(alias="CAPTURE_BUCKET", min_length=3)
    capture_prefix: str = Field(default="", alias="CAPTURE_PREFIX")  # Firehose's S3 prefix for captured traffic
    deployment_uri: str = Field(alias="DEPLOYMENT_URI", pattern=r"^s3://.+")  # the predict Lambda's record
    artifact_bucket: str = Field(alias="ARTIFACT_BUCKET", min_length=3)  # runs/<run_id>/baseline.json
    feedback_table: str | None = Field(default=None, alias="FEEDBACK_TABLE")
    max_capture_objects: int = Field(default=2000, ge=1, le=20_000, alias="MAX_CAPTURE_OBJECTS")
    max_feedback_items: int = Field(default=100_000, ge=0, alias="MAX_FEEDBACK_ITEMS")
