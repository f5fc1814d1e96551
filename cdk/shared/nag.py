"""cdk-nag 3.x: AwsSolutions runs as a CDK policy-validation plugin; findings are acknowledged per construct.

Every acknowledgement goes through `acknowledge` so the reason sits next to the resource it excuses, and
the tests can check them all (tests/infra/test_checks.py).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

PLUGIN = "AwsSolutions"


def add_nag_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept one finding (`AwsSolutions-IAM5[Resource::*]`-style id) on `scope` and its children, with the reason.

    CDK keys acknowledgements by `<plugin>::<rule>`; the plugin prefix is added here.
    """
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PLUGIN}::{rule}", reason=reason))


# What CDK's bucket/key grant_* methods put in a policy, and why each wildcard is acceptable for us.
GRANT_WILDCARDS = {
    "Action::s3:GetObject*": "CDK grant_read: GetObject plus its version/tagging/ACL reads, limited to one prefix.",
    "Action::s3:GetBucket*": "CDK grant_read: bucket location and metadata, needed by every S3 client.",
    "Action::s3:List*": "CDK grant_read: listing the bucket, needed to find objects under the prefix.",
    "Action::s3:Abort*": "CDK grant_put: abort its own unfinished multipart uploads.",
    "Action::s3:DeleteObject*": "CDK grant_read_write: replace its own objects under the prefix.",
    "Action::kms:ReEncrypt*": "CDK grant on the project's own data key only (bucket encryption).",
    "Action::kms:GenerateDataKey*": "CDK grant on the project's own data key only (bucket encryption).",
}


def acknowledge_grants(scope: IConstruct, prefixes: dict[str, str]) -> None:
    """Acknowledge the wildcards of CDK's grant_* on `scope`, and each `<bucket ref>/<prefix>*` resource with
    its own reason. Acknowledging a finding that does not occur is harmless."""
    for finding, reason in GRANT_WILDCARDS.items():
        acknowledge(scope, f"AwsSolutions-IAM5[{finding}]", reason)
    for resource, reason in prefixes.items():
        acknowledge(scope, f"AwsSolutions-IAM5[Resource::{resource}]", reason)
