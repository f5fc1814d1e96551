"""GitHub deploy stack: the OIDC provider, and a role only this repository's stage environment can assume,
allowed exactly what `cdk deploy` and `python -m slipstream.cli.cloud_run` need."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Template

from tests.infra.conftest import GITHUB_REPOSITORY, INFRA_GROUP, stage_settings

pytestmark = INFRA_GROUP
EXISTING = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


@pytest.fixture(scope="module")
def github(synthesized) -> Template:
    return Template.from_json(synthesized.templates["github_deploy"])


def _role(template: Template) -> dict:
    (role,) = template.find_resources("AWS::IAM::Role").values()
    return role["Properties"]


def _joined(value) -> str:
    """A Fn::Join ARN as text, pseudo parameters as ${...}, imports as <name>."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${" + value["Ref"] + "}"
    if "Fn::ImportValue" in value:
        return "<" + value["Fn::ImportValue"] + ">"
    return "".join(_joined(part) for part in value["Fn::Join"][1])


def test_only_the_stage_environment_of_the_repository_may_assume_the_role(github):
    (statement,) = _role(github)["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": f"repo:{GITHUB_REPOSITORY}:environment:dev",
        }
    }
    (provider_id,) = github.find_resources("AWS::IAM::OIDCProvider")
    assert statement["Principal"] == {"Federated": {"Ref": provider_id}}
    github.has_resource_properties(
        "AWS::IAM::OIDCProvider",
        {"Url": "https://token.actions.githubusercontent.com", "ClientIdList": ["sts.amazonaws.com"]},
    )


def test_the_role_may_do_exactly_what_deploy_and_cloud_run_need(github):
    (policy,) = github.find_resources("AWS::IAM::Policy").values()
    granted = {
        json.dumps(s["Action"]): sorted(
            _joined(r) for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        )
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    }
    account_region = "${AWS::AccountId}-${AWS::Region}"
    assert granted['"sts:AssumeRole"'] == sorted(
        f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/cdk-hnb659fds-{role}-{account_region}"
        for role in ("deploy-role", "file-publishing-role", "image-publishing-role", "lookup-role")
    )
    assert granted['"cloudformation:DescribeStacks"'] == [
        "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/breast-cancer-dev-*/*"
    ]
    assert granted['"states:DescribeExecution"'] == [
        "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:breast-cancer-dev-training:*"
    ]
    puts = next(resources for actions, resources in granted.items() if "s3:PutObject" in actions)
    assert puts == ["<breast-cancer-dev-storage-data-bucket-arn>/incoming/*"]
    kms = next(resources for actions, resources in granted.items() if "kms:GenerateDataKey*" in actions)
    assert kms == ["<breast-cancer-dev-storage-key-arn>"]
    assert len(granted) == 5, granted


def test_an_existing_provider_is_reused_and_no_repository_means_no_stack(tmp_path):
    from aws_cdk import App

    from cdk.github_deploy.stack import GitHubDeployStack
    from cdk.shared.storage_stack import StorageExports

    settings = stage_settings(github_oidc_provider_arn=EXISTING)
    stack = GitHubDeployStack(
        App(outdir=str(tmp_path)), "Gh", settings=settings, storage=StorageExports(settings.prefix)
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::OIDCProvider", 0)
    assert _role(template)["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Federated": EXISTING}

    from cdk.app import wants_github_deploy

    assert wants_github_deploy(settings) and not wants_github_deploy(stage_settings(github_repository=None))
