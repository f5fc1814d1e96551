"""The source stage's grants to the stages promoting from it, same account and cross-account, and the target's
identity side; the keys both sides name are the keys the promotion copies."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Match, Template

from cdk.app import build_app
from cdk.pipeline.promotion import SOURCE_KEYS
from cdk.shared.promotion_grants import PROMOTED_KEYS
from cdk.shared.settings import DeploySettings
from slipstream.config import parse_config

pytestmark = pytest.mark.xdist_group("promotion-grants")  # the module's syntheses are shared: one worker

RAW = {"name": "bc", "data": {"source": "sklearn:iris", "target": "target", "task": "classification"}}


class _Templates:
    """A stage's stacks by their short name ("storage", "pipeline"...); a stack's template is made when read."""

    def __init__(self, stacks: dict[str, Stack]) -> None:
        self._stacks = {name.split("-")[-1]: stack for name, stack in stacks.items()}
        self._templates: dict[str, Template] = {}

    def __getitem__(self, key: str) -> Template:
        if key not in self._templates:
            self._templates[key] = Template.from_stack(self._stacks[key])
        return self._templates[key]


Synth = Callable[[str, dict[str, Any]], _Templates]


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """One synthesis per (stage, stages) for the module: two tests read dev's default layout, each its own part."""
    base_dir = tmp_path_factory.mktemp("promotion-grants")
    built: dict[str, _Templates] = {}

    def templates(stage: str, stages: dict[str, Any]) -> _Templates:
        key = json.dumps([stage, stages], sort_keys=True)
        if key not in built:
            config = parse_config({**RAW, "stages": stages}, base_dir=base_dir)
            settings = DeploySettings(config=config, stage_name=stage, stage=config.stage(stage))
            built[key] = _Templates(build_app(App(), settings))
        return built[key]

    return templates


def test_both_sides_name_the_copied_keys() -> None:
    assert SOURCE_KEYS == PROMOTED_KEYS


def test_cross_account_target_is_granted_in_the_source(synth: Synth) -> None:
    stages = {"staging": {"account": "222222222222"}}  # (an explicit dev account trips pre-existing nag acks)
    templates = synth("dev", stages)
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


def test_same_account_grants_and_no_source_no_grants(synth: Synth) -> None:
    templates = synth("dev", {})  # staging promotes from dev by default, in the same account
    group = templates["pipeline"].find_resources("AWS::SageMaker::ModelPackageGroup")
    assert all("ModelPackageGroupPolicy" in r["Properties"] for r in group.values())
    prod = synth("prod", {})  # nothing promotes from prod
    group = prod["pipeline"].find_resources("AWS::SageMaker::ModelPackageGroup")
    assert all("ModelPackageGroupPolicy" not in r["Properties"] for r in group.values())


def test_a_promoting_stage_has_no_training_triggers_and_reads_the_source(synth: Synth) -> None:
    staging = synth("staging", {})["pipeline"]
    assert staging.find_resources("AWS::Events::Rule") == {}
    # Inline or in CDK's overflow managed policy (a role's inline policies stop at 10,240 characters).
    statements = [
        statement
        for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        for policy in staging.find_resources(kind).values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert any(s["Action"] == "kms:Decrypt" and "Condition" in s for s in statements)
    dev = synth("dev", {})["pipeline"]
    assert len(dev.find_resources("AWS::Events::Rule")) >= 2  # new data and the schedule
