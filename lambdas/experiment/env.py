"""The experiment Lambda's environment (set by cdk/monitoring/experiment_function.py), validated once per cold start."""

from __future__ import annotations

from pydantic import Field

from lambdas.common.env import ConfigEnv


class ExperimentEnv(ConfigEnv):
    stage: str = Field(alias="STAGE", min_length=1)
    capture_bucket: str = Field(alias="CAPTURE_BUCKET", min_length=3)
    capture_prefix: str = Field(default="", alias="CAPTURE_PREFIX")
    deployment_uri: str = Field(alias="DEPLOYMENT_URI", pattern=r"^s3://.+")
    feedback_table: str = Field(alias="FEEDBACK_TABLE", min_length=3)
    topic_arn: str = Field(alias="TOPIC_ARN", pattern=r"^arn:")
    champion_endpoint: str = Field(alias="CHAMPION_ENDPOINT", min_length=1, max_length=63)
    challenger_endpoint: str = Field(alias="CHALLENGER_ENDPOINT", min_length=1, max_length=63)
    # arn:<partition>:sagemaker:<region>:<account>:model-package/<group>: a version's ARN is this + "/<version>".
    model_package_prefix: str = Field(alias="MODEL_PACKAGE_PREFIX", pattern=r"^arn:.+:model-package/.+")
    # The predict Lambda re-reads the record this often: the challenger endpoint is deleted only after it has.
    # How often a promotion polls the champion endpoint's update (SageMaker's waiter uses 30 s).
    endpoint_poll_seconds: float = Field(default=15.0, gt=0, le=60, alias="ENDPOINT_POLL_SECONDS")
    record_ttl_seconds: float = Field(default=60.0, ge=0, le=300, alias="RECORD_TTL_SECONDS")
    max_capture_objects: int = Field(default=5000, ge=1, le=20_000, alias="MAX_CAPTURE_OBJECTS")
    max_feedback_items: int = Field(default=200_000, ge=0, alias="MAX_FEEDBACK_ITEMS")

    def package_arn(self, version: str) -> str:
        return f"{self.model_package_prefix}/{version}"
