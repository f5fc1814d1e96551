"""Lineage and the model card in the synthesized pipeline (docs/lineage.md): the commit and the config hash are
fixed at synth, every registration names the same facts, the QualityGate gets what the card needs."""

from __future__ import annotations

import inspect
import json

import pytest

from cdk.pipeline.deploy import CARD_STATUS
from slipstream import lineage
from slipstream.config import load_config
from tests.infra.conftest import CODE_VERSION, INFRA_GROUP

pytestmark = INFRA_GROUP
REGISTERS = ("Register", "RegisterRejected")


@pytest.fixture(scope="module")
def states(definition):
    return definition["States"]


@pytest.mark.parametrize("state_id", REGISTERS)
def test_every_registration_carries_the_code_version_and_config_hash(states, state_id):
    params = states[state_id]["Parameters"]
    metadata = params["CustomerMetadataProperties"]
    assert metadata[lineage.GIT_COMMIT] == CODE_VERSION == params["MetadataProperties"]["CommitId"]
    assert metadata[lineage.CONFIG_SHA256] == lineage.config_sha256(load_config("slipstream.toml"))
    assert metadata[f"{lineage.DATA_SOURCE}.$"] == "$.validation.data_label"  # escaped for SageMaker's pattern
    assert metadata[f"{lineage.TRAINING_JOB}.$"] == "$.training.job_name"
    assert params["MetadataProperties"]["GeneratedBy.$"] == "$.training.job_name"
    assert params["ModelCard"]["ModelCardContent.$"] == "$.gate.model_card"
    assert params["ModelCard"]["ModelCardStatus"] == CARD_STATUS[params["ModelApprovalStatus"]]


def test_both_registrations_name_the_same_lineage_facts(states):
    register, rejected = (set(states[s]["Parameters"]["CustomerMetadataProperties"]) for s in REGISTERS)
    names = {k.removesuffix(".$") for k in register}
    facts = lineage.lineage_facts(**dict.fromkeys(inspect.signature(lineage.lineage_facts).parameters, ""))
    assert register == rejected and names >= set(facts)


def test_the_gate_gets_the_cards_sources(states):
    card = states["QualityGate"]["Parameters"]["card"]
    assert card["git_commit"] == CODE_VERSION
    assert card["config_sha256"] == lineage.config_sha256(load_config("slipstream.toml"))
    assert card["model_artifact.$"] == "$.training.model_data_url"
    assert card["data_uri.$"] == "States.Format('s3://{}/{}', $.data.bucket, $.data.key)"


@pytest.mark.parametrize(("state_id", "status"), [("ApproveModel", "Approved"), ("RejectModel", "Draft")])
def test_approval_moves_the_model_card_with_the_package(states, state_id, status):
    card = states[state_id]["Parameters"]["ModelCard"]
    assert card == {"ModelCardContent.$": "$.gate.model_card", "ModelCardStatus": status}


def test_the_gate_function_bundles_the_card_modules(synthesized):
    """The QualityGate's asset has the modules it imports to write the card (the allowlist leaves them out)."""
    gates = [path.parent.parent for path in synthesized.outdir.glob("asset.*/lambdas/quality_gate")]
    assert gates, "no QualityGate asset"
    for asset in gates:
        assert (asset / "slipstream" / "package_card.py").is_file() and (asset / "slipstream" / "lineage.py").is_file()


SERVER = "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/team"
MLFLOW_STATES = ("MlflowRegister", "MlflowRegisterRejected", "MlflowChampion")


@pytest.fixture(scope="module")
def with_mlflow(tmp_path_factory) -> dict:
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from cdk.app import build_app
    from tests.infra.conftest import stage_settings

    app = App(outdir=str(tmp_path_factory.mktemp("mlflow-synth")))
    stacks = build_app(app, stage_settings(mlflow_tracking_uri=SERVER))
    return Template.from_stack(stacks["pipeline"]).to_json()


def test_without_a_tracking_uri_there_is_no_mlflow_step(states, synthesized):
    assert not [s for s in states if s.startswith("Mlflow")]
    functions = synthesized.templates["pipeline"]["Resources"].values()
    assert not [f for f in functions if "MLFLOW_TRACKING_URI" in json.dumps(f)]


def test_with_a_tracking_uri_each_registration_and_the_deployment_reach_mlflow(with_mlflow):
    from cdk.pipeline.doc import definition_from_template

    states = definition_from_template(with_mlflow)["States"]
    assert (
        states["Register"]["Next"] == "MlflowRegister"
        and states["RegisterRejected"]["Next"] == "MlflowRegisterRejected"
    )
    assert states["RecordDeployment"]["Next"] == "MlflowChampion"
    assert states["MlflowRegisterDone"]["Next"] == "NameDeployment"
    assert states["MlflowRegisterRejectedDone"]["Next"] == "NotifyChampionKept"
    assert states["MlflowChampionDone"]["Next"] == "NotifySuccess"
    for state_id in MLFLOW_STATES:
        task = states[state_id]
        assert task["Parameters"]["action"] == ("champion" if state_id == "MlflowChampion" else "register")
        # Neither a crash nor "failed" stops the run: both end at <state>Done, "failed" through a notification.
        assert [c["Next"] for c in task["Catch"]] == [f"{state_id}Crashed"]
        assert states[f"{state_id}Crashed"]["Next"] == f"{state_id}Succeeded"
        choice = states[f"{state_id}Succeeded"]
        assert choice["Default"] == f"{state_id}Done" and choice["Choices"][0]["Next"] == f"Notify{state_id}Failed"
        notify = states[f"Notify{state_id}Failed"]
        assert notify["Next"] == f"{state_id}Done" and notify["Catch"][0]["Next"] == f"{state_id}Done"


def test_the_mlflow_function_may_call_that_server_and_mark_packages_only(with_mlflow):
    resources = with_mlflow["Resources"]
    (function,) = [r for r in resources.values() if "MLFLOW_TRACKING_URI" in json.dumps(r.get("Properties", {}))]
    assert function["Properties"]["Environment"]["Variables"]["MLFLOW_TRACKING_URI"] == SERVER
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = [
        r for r in resources.values() if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
    ]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"sagemaker-mlflow:*", "sagemaker:UpdateModelPackage"} <= actions
    (mlflow,) = [s for s in statements if s["Action"] == "sagemaker-mlflow:*"]
    assert mlflow["Resource"] == SERVER
    (update,) = [s for s in statements if s["Action"] == "sagemaker:UpdateModelPackage"]
    assert "model-package/breast-cancer-dev/*" in json.dumps(update["Resource"])
