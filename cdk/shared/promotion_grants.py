"""The source stage's side of a promotion (cdk/pipeline/promotion.py): the accounts of the stages that promote
from this one may read its model packages, the objects a promotion copies, and decrypt them through S3.

Resource policies, so that a target stage in another account (`[stages.<name>] account`) can read; in the same
account they delegate to the target role's identity policy, which names the same actions and keys.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from cdk.shared.settings import DeploySettings
from slipstream.layout import BASELINE, CONTRACT, EVALUATION, MODEL_ARCHIVE, VALIDATION, retained_key, run_key
from slipstream.promotion_config import promotion_targets
from slipstream.stage_config import STAGE_NAMES

# The keys a promotion copies (the same set cdk/pipeline/promotion.py COPIES reads), with any run id.
PROMOTED_KEYS = sorted(
    {
        retained_key("*", MODEL_ARCHIVE),
        retained_key("*", BASELINE),
        run_key("*", CONTRACT),
        run_key("*", EVALUATION),
        run_key("*", VALIDATION),
    }
)
PACKAGE_READ = ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"]


def target_accounts(settings: DeploySettings) -> list[str]:
    """The accounts of the stages that promote from this one (a token for "this account" when not configured)."""
    config = settings.config
    stages = {name: config.stage(name) for name in STAGE_NAMES}
    accounts = [stages[target].account or Aws.ACCOUNT_ID for target in promotion_targets(settings.stage_name, stages)]
    return list(dict.fromkeys(accounts))


def grant_storage(settings: DeploySettings, bucket: s3.IBucket, key: kms.IKey) -> None:
    """Bucket policy: GetObject on the promoted keys; key policy: Decrypt, only through S3."""
    accounts = target_accounts(settings)
    if not accounts:
        return
    principals = [iam.AccountPrincipal(account) for account in accounts]
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="PromotionRead",
            principals=principals,
            actions=["s3:GetObject"],
            resources=[bucket.arn_for_objects(pattern) for pattern in PROMOTED_KEYS],
        )
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="PromotionDecrypt",
            principals=principals,
            actions=["kms:Decrypt"],
            resources=["*"],  # in a key policy, "*" is this key
            conditions={"StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"}},
        )
    )


def package_group_policy(stack: Stack, settings: DeploySettings) -> dict[str, Any] | None:
    """The model package group's resource policy, or None when no stage promotes from this one."""
    accounts = target_accounts(settings)
    if not accounts:
        return None
    group = settings.model_package_group
    arn = stack.format_arn(service="sagemaker", resource="model-package-group", resource_name=group.lower())
    packages = stack.format_arn(service="sagemaker", resource="model-package", resource_name=f"{group.lower()}/*")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PromotionRead",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:{Aws.PARTITION}:iam::{account}:root" for account in accounts]},
                "Action": PACKAGE_READ,
                "Resource": [arn, packages],
            }
        ],
    }
