"""The emulated account refuses what SageMaker refuses: a model created from a versioned package that is not
Approved (botocore's CreateModelPackage docs: "must be set to Approved to deploy the model")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from slipstream.local.stepfunctions import moto_extensions
from tests.aws_roles import service_role

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"


@pytest.fixture
def sagemaker() -> Iterator[Any]:
    moto_extensions.install()
    with mock_aws():
        client = boto3.client("sagemaker", region_name="us-east-1")
        read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::artifacts/*"}
        assert service_role("sagemaker", "sagemaker.amazonaws.com", [read]) == ROLE  # a role SageMaker may assume
        client.create_model_package_group(ModelPackageGroupName="churn-dev")
        yield client


def register(sagemaker: Any, status: str) -> str:
    container = {"Image": IMAGE, "ModelDataUrl": "s3://artifacts/models/r1/model.tar.gz"}
    return sagemaker.create_model_package(
        ModelPackageGroupName="churn-dev",
        ModelApprovalStatus=status,
        InferenceSpecification={
            "Containers": [container],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )["ModelPackageArn"]


@pytest.mark.parametrize("status", ["PendingManualApproval", "Rejected"])
def test_a_model_from_an_unapproved_version_is_refused(sagemaker: Any, status: str) -> None:
    arn = register(sagemaker, status)
    with pytest.raises(ClientError) as refused:
        sagemaker.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": arn})
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == (
        f"Model package {arn} has ModelApprovalStatus {status}: a versioned model package must be Approved "
        "before a model can be created from it."
    )
    with pytest.raises(ClientError):  # nor through the Containers list
        sagemaker.create_model(ModelName="m", ExecutionRoleArn=ROLE, Containers=[{"ModelPackageName": arn}])


def test_an_approved_version_and_a_plain_container_are_accepted(sagemaker: Any) -> None:
    arn = register(sagemaker, "PendingManualApproval")
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    sagemaker.create_model(ModelName="m1", ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": arn})
    plain = {"Image": IMAGE, "ModelDataUrl": "s3://artifacts/models/r1/model.tar.gz"}
    sagemaker.create_model(ModelName="m2", ExecutionRoleArn=ROLE, PrimaryContainer=plain)
    assert {m["ModelName"] for m in sagemaker.list_models()["Models"]} == {"m1", "m2"}
