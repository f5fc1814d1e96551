"""cdk-nag 3.x: AwsSolutions runs as a CDK policy-validation plugin; findings are acknowledged per construct.

Every acknowledgement goes through `acknowledge` so the reason sits next to the resource it excuses, and
the tests can list them all (see tests/infra/test_nag.py).
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
