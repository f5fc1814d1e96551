"""The source stage's grants to the stages promoting from it, same account and cross-account, and the target's
identity side; the keys both sides name are the keys the promotion copies."""

from __future__ import annotations

from aws_cdk import App
from aws_cdk.assertions import Match, Template

from cdk.app import build_app
from cdk.pipeline.promotion import SOURCE_KEYS
from cdk.shared.promotion_grants import PROMOTED_KEYS
from cdk.shared.settings import DeploySettings
from slipstream.config import parse_config

RAW = {"name": "bc", "data": {"source": "sklearn:iris", "target": "target", "task": "classification"}}


def _stacks(stage: str, stages: dict, tmp_path):
    config = parse_config({**RAW, "stages": stages}, base_dir=tmp_path)
    app = App()
    stacks = build_app(app, DeploySettings(config=config, stage_name=stage, stage=config.stage(stage)))
    return {name.split("-")[-1]: Template.from_stack(stack) for name, stack in stacks.items()}


def test_both_sides_name_the_copied_keys() -> None:
    assert SOURCE_KEYS == PROMOTED_KEYS


def test_cross_account_target_is_granted_in_the_source(tmp_path) -> None:
    stages = {"staging": {"account": "222222222222"}}  # (an explicit dev account trips pre-existing nag acks)
    templates = _stacks("dev", stages, tmp_path)
    target = Match.object_like({"AWS": Match.any_value()})
    templates["storage"].has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with([Match.object_like({"Sid": "PromotionRead", "Principal": target})])
            }
        },
    )
    templates["storage"].has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with([Match.object_like({"Sid": "PromotionDecrypt", "Action": "kms:Decrypt"})])
            }
        },
    )
    group = templates["pipeline"].find_resources("AWS::SageMaker::ModelPackageGroup")
    (policy,) = [r["Properties"]["ModelPackageGroupPolicy"] for r in group.values()]
    statement = policy["Statement"][0]
    assert "sagemaker:DescribeModelPackage" in statement["Action"]
    assert "222222222222" in str(statement["Principal"])


def test_same_account_grants_and_no_source_no_grants(tmp_path) -> None:
    templates = _stacks("dev", {}, tmp_path)  # staging promotes from dev by default, in the same account
    group = templates["pipeline"].find_resources("AWS::SageMaker::ModelPackageGroup")
    assert all("ModelPackageGroupPolicy" in r["Properties"] for r in group.values())
    prod = _stacks("prod", {}, tmp_path)  # nothing promotes from prod
    group = prod["pipeline"].find_resources("AWS::SageMaker::ModelPackageGroup")
    assert all("ModelPackageGroupPolicy" not in r["Properties"] for r in group.values())


def test_a_promoting_stage_has_no_training_triggers_and_reads_the_source(tmp_path) -> None:
    staging = _stacks("staging", {}, tmp_path)["pipeline"]
    assert staging.find_resources("AWS::Events::Rule") == {}
    # Inline or in CDK's overflow managed policy (a role's inline policies stop at 10,240 characters).
    statements = [
        statement
        for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        for policy in staging.find_resources(kind).values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert any(s["Action"] == "kms:Decrypt" and "Condition" in s for s in statements)
    dev = _stacks("dev", {}, tmp_path)["pipeline"]
    assert len(dev.find_resources("AWS::Events::Rule")) >= 2  # new data and the schedule
