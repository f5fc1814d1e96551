"""A Lambda handler for test_strict_params.py: it calls SageMaker with whatever name the event carries."""

from __future__ import annotations

from typing import Any

import boto3


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    sagemaker = boto3.client("sagemaker")
    arn = sagemaker.create_model_package_group(ModelPackageGroupName=event["name"])["ModelPackageGroupArn"]
    return {"arn": arn}
