"""Roles for tests that make a service act in the strict emulated account, which runs it as the role it names."""

from __future__ import annotations

import json

import boto3


def service_role(name: str, service: str | list[str], statements: list[dict]) -> str:
    """A role `service` (one or several) may assume, with `statements` as its one inline policy; returns its ARN."""
    iam = boto3.client("iam", region_name="us-east-1")
    trust = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    document = {"Version": "2012-10-17", "Statement": [trust]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))["Role"]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": statements}
    iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy))
    return arn


def sagemaker_role_for_bucket(bucket: str, name: str = "sagemaker") -> str:
    """An execution role that may read and write `bucket`, as a training job or an endpoint's model needs."""
    access = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]}
    access["Resource"] = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    return service_role(name, "sagemaker.amazonaws.com", [access])
