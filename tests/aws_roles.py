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


def firehose_role_for_bucket(bucket: str, name: str = "firehose") -> str:
    """A delivery role that may write `bucket`: the strict account delivers a stream's records as its role."""
    access = {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetBucketLocation", "s3:ListBucket"]}
    access["Resource"] = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    return service_role(name, "firehose.amazonaws.com", [access])


def states_role(name: str = "sfn") -> str:
    """A role Step Functions may assume (the strict account checks the trust policy at CreateStateMachine)."""
    describe = {"Effect": "Allow", "Action": "states:DescribeExecution", "Resource": "*"}
    return service_role(name, "states.amazonaws.com", [describe])
