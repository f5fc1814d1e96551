"""The predict Lambda's environment, validated once per cold start: a missing or
malformed variable fails there, with its name, not in the middle of a request; logic never reads os.environ.

The serving stack writes these on AWS; `slipstream serve` writes the same names for its local API
process, pointing SAGEMAKER_RUNTIME_ENDPOINT_URL at the local endpoint server. Every variable is
described in docs/serving.md.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from lambdas.common.env import BaseEnv

URI_PATTERN = r"^(s3|file)://.+"


class PredictEnv(BaseEnv):
    contract_uri: str = Field(alias="CONTRACT_URI", pattern=URI_PATTERN)
    deployment_uri: str | None = Field(default=None, alias="DEPLOYMENT_URI", pattern=URI_PATTERN)
    deployment_ttl_seconds: float = Field(default=60.0, ge=0, alias="DEPLOYMENT_TTL_SECONDS")
    champion_endpoint: str = Field(alias="CHAMPION_ENDPOINT", min_length=1, max_length=63)
    challenger_endpoint: str | None = Field(default=None, alias="CHALLENGER_ENDPOINT", max_length=63)
    challenger_weight: float = Field(default=0.0, ge=0, le=1, alias="CHALLENGER_WEIGHT")
    shadow_share: float = Field(default=0.0, ge=0, le=1, alias="SHADOW_SHARE")
    shadow_timeout_seconds: float = Field(default=5.0, gt=0, le=60, alias="SHADOW_TIMEOUT_SECONDS")
    caller_header: str = Field(default="X-Caller-Id", min_length=1, alias="CALLER_HEADER")
    max_rows: int = Field(default=100, ge=1, le=10_000, alias="MAX_ROWS")
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, le=6_000_000, alias="MAX_BODY_BYTES")
    capture_stream: str | None = Field(default=None, alias="CAPTURE_STREAM")
    capture_path: str | None = Field(default=None, alias="CAPTURE_PATH")
    feedback_table: str | None = Field(default=None, alias="FEEDBACK_TABLE")
    feedback_path: str | None = Field(default=None, alias="FEEDBACK_PATH")
    # AWS: the warehouse's feedback stream (Firehose -> Parquet), written besides FEEDBACK_TABLE.
    feedback_stream: str | None = Field(default=None, alias="FEEDBACK_STREAM")
    # Local JSON Lines files (capture and feedback): rotated past this size, rotated files kept this long.
    jsonl_rotate_bytes: int = Field(default=64 * 1024 * 1024, ge=1_000, alias="JSONL_ROTATE_BYTES")
    jsonl_retention_days: int | None = Field(default=None, ge=1, le=3650, alias="JSONL_RETENTION_DAYS")
    # Which request ids /predict issued (lambdas/predict/issued.py): required with a feedback store.
    issued_table: str | None = Field(default=None, alias="ISSUED_TABLE")
    issued_path: str | None = Field(default=None, alias="ISSUED_PATH")
    issued_retention_days: int = Field(default=90, ge=1, le=3650, alias="ISSUED_RETENTION_DAYS")
    sagemaker_runtime_endpoint_url: str | None = Field(default=None, alias="SAGEMAKER_RUNTIME_ENDPOINT_URL")
    invoke_timeout_seconds: float = Field(default=20.0, gt=0, le=60, alias="INVOKE_TIMEOUT_SECONDS")
    retry_after_seconds: int = Field(default=5, ge=1, le=3600, alias="RETRY_AFTER_SECONDS")

    @model_validator(mode="after")
    def _one_sink_each(self) -> PredictEnv:
        if self.capture_stream and self.capture_path:
            raise ValueError("set CAPTURE_STREAM (AWS) or CAPTURE_PATH (local), not both")
        if self.feedback_table and self.feedback_path:
            raise ValueError("set FEEDBACK_TABLE (AWS) or FEEDBACK_PATH (local), not both")
        if self.feedback_stream and not self.feedback_table:
            raise ValueError("FEEDBACK_STREAM needs FEEDBACK_TABLE: feedback goes to the table and the stream")
        if self.feedback_table and not self.issued_table:
            raise ValueError("FEEDBACK_TABLE needs ISSUED_TABLE: feedback is checked against the issued requests")
        if self.feedback_path and not self.issued_path:
            raise ValueError("FEEDBACK_PATH needs ISSUED_PATH: feedback is checked against the issued requests")
        return self
