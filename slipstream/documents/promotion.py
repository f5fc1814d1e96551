"""A promotion: the execution input that asks a stage's state machine to deploy a package another stage trained
(`slipstream promote`, cdk/pipeline/promotion.py), instead of training on data (documents/run.py RunRequest)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from slipstream.documents.base import Document
from slipstream.documents.run import RUN_ID_PATTERN

PACKAGE_ARN_PATTERN = r"^arn:aws[\w-]*:sagemaker:[\w-]+:\d{12}:model-package/[A-Za-z0-9-]+/\d+$"


class PromotionRequest(Document):
    """Deploy `model_package_arn` (Approved in `source_stage`) in this stage. `run_id` names this stage's copies
    (runs/<run id>/, models/<run id>/) and SageMaker resources; `source_bucket` is the source stage's artifact
    bucket, where the package's ModelDataUrl points (the state machine checks that it does)."""

    run_id: str = Field(pattern=RUN_ID_PATTERN)
    source_stage: Literal["dev", "staging", "prod"]
    model_package_arn: str = Field(pattern=PACKAGE_ARN_PATTERN)
    source_bucket: str = Field(min_length=3, max_length=63)


def promotion_run_id(source_stage: str, version: int) -> str:
    """`promote-<source stage>-<version>`: the execution name, so promoting the same package twice starts one
    execution (Step Functions refuses a second with the same name), like cloud_run's ETag-named runs."""
    return f"promote-{source_stage}-{version}"
