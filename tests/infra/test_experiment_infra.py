"""`gate.promote = "challenger"`: the challenger branch of the state machine, the experiment Lambda, its exact
IAM and schedule, and the dashboard's experiment section. The default config (promote = "champion") builds
none of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Match, Template

from cdk.pipeline.doc import definition_from_template
from slipstream.config import load_config
from slipstream.documents.experiment import ExperimentRequest
from tests.infra.conftest import INFRA_GROUP

pytestmark = INFRA_GROUP
# The experiment Lambda's name: its POWERTOOLS_SERVICE_NAME, and the `service` dimension of its metrics.
SERVICE = "experiment"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict:
    from slipstream.local.stepfunctions.synth import synthesize

    folder = tmp_path_factory.mktemp("challenger")
    text = (REPO / "slipstream.toml").read_text().replace("[gate]\n", '[gate]\npromote = "challenger"\n', 1)
    (folder / "slipstream.toml").write_text(text)
    return synthesize(load_config(folder / "slipstream.toml")).templates


def experiment_function(template: dict) -> tuple[str, dict]:
    found = Template.from_json(template).find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "lambdas.experiment.handler.handler"}}
    )
    assert len(found) == 1
    return next(iter(found.items()))


def statements_of(template: dict, role_prefix: str) -> list[dict]:
    policies = Template.from_json(template).find_resources("AWS::IAM::Policy")
    return [
        statement
        for policy in policies.values()
        if any(role["Ref"].startswith(role_prefix) for role in policy["Properties"]["Roles"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def resource_text(statement: dict) -> str:
    return json.dumps(statement["Resource"])


def test_the_experiment_lambda_runs_hourly_with_a_typed_request_one_at_a_time(templates) -> None:
    _, function = experiment_function(templates["monitoring"])
    props = function["Properties"]
    assert props["ReservedConcurrentExecutions"] == 1 and props["Timeout"] == 900
    variables = props["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == SERVICE  # the dashboard's metrics carry it as a dimension
    assert variables["CHAMPION_ENDPOINT"] == "breast-cancer-dev"
    assert variables["CHALLENGER_ENDPOINT"] == "breast-cancer-dev-challenger"
    rules = Template.from_json(templates["monitoring"]).find_resources("AWS::Events::Rule")
    (target,) = [t for rule in rules.values() for t in rule["Properties"]["Targets"] if "Experiment" in json.dumps(t)]
    assert ExperimentRequest.model_validate_json(target["Input"]).action == "analyse"


def test_the_experiment_role_is_granted_exactly_what_the_lambda_calls(templates) -> None:
    statements = statements_of(templates["monitoring"], "ExperimentRole")
    by_action = {tuple(sorted(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])): s for s in statements}
    assert all("*" not in action for actions in by_action for action in actions if action.startswith("sagemaker"))
    delete = resource_text(by_action[("sagemaker:DeleteEndpoint",)])
    assert delete.endswith(':endpoint/breast-cancer-dev-challenger"]]}')  # never the champion endpoint
    update = resource_text(by_action[("sagemaker:UpdateEndpoint",)])
    assert ':endpoint/breast-cancer-dev"' in update and ":endpoint-config/breast-cancer-dev-*" in update
    assert "challenger" not in update
    packages = resource_text(by_action[("sagemaker:UpdateModelPackage",)])
    assert packages.endswith(':model-package/breast-cancer-dev/*"]]}')
    listing = by_action[("s3:ListBucket",)]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["captures/data/*"]}}
    assert "/deployment/deployment.json" in resource_text(by_action[("s3:GetObject", "s3:PutObject")])
    assert "/captures/data/*" in resource_text(by_action[("s3:GetObject",)])
    assert ("dynamodb:Scan",) in by_action and ("sns:Publish",) in by_action
    granted = {action for actions in by_action for action in actions}
    assert not granted & {"sagemaker:CreateEndpoint", "sagemaker:DeleteModelPackage", "s3:DeleteObject"}


def test_the_pipeline_smoke_tests_and_records_the_challenger(templates) -> None:
    smoke = [
        s
        for s in statements_of(templates["pipeline"], "FunctionsSmokeTest")
        if s["Action"] == "sagemaker:InvokeEndpoint"
    ]
    (invoke,) = smoke
    assert len(invoke["Resource"]) == 2 and "breast-cancer-dev-challenger" in resource_text(invoke)
    record = statements_of(templates["pipeline"], "FunctionsRecordDeployment")
    assert any("s3:GetObject*" in s["Action"] and "deployment/deployment.json" in resource_text(s) for s in record)


def test_the_challenger_branch_follows_the_gate_and_the_champion_branch_stays(templates, definition) -> None:
    states = definition_from_template(templates["pipeline"])["States"]
    assert states["GatePassed"]["Choices"][0]["Next"] == "ChampionServing"
    assert states["ChampionServing"]["Default"] == "RetainModel"  # no champion yet: the champion's deployment
    assert states["ChallengerRefused"] == {
        "Type": "Fail",
        "Error": "ExperimentRunning",
        "CausePath": "$.experiment_slot.message",
    }
    assert states["RecordChallenger"]["Parameters"]["variant"] == "challenger"
    assert states["RecordChallenger"]["Catch"][0]["Next"] == "RejectFailedChallenger"
    # The default config: no challenger states at all.
    assert "ChampionServing" not in definition["States"] and "CheckExperiment" not in definition["States"]
    assert definition["States"]["GatePassed"]["Choices"][0]["Next"] == "RetainModel"


def test_the_dashboard_shows_the_experiment_with_the_published_dimensions(templates) -> None:
    dashboards = Template.from_json(templates["monitoring"]).find_resources("AWS::CloudWatch::Dashboard")
    body = json.dumps(next(iter(dashboards.values()))["Properties"]["DashboardBody"])
    for metric in ("ExperimentEffect", "ExperimentEffectLower", "ExperimentAssigned", "ExperimentDecision"):
        assert metric in body
    assert f'\\\\"service\\\\",\\\\"{SERVICE}\\\\"' in body or f'"service","{SERVICE}"' in body.replace("\\", "")
    assert "challenger / (champion + challenger)" in body


def test_the_default_config_builds_no_experiment_lambda(synthesized) -> None:
    found = Template.from_json(synthesized.templates["monitoring"]).find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": Match.string_like_regexp("lambdas.experiment")}}
    )
    assert found == {}
