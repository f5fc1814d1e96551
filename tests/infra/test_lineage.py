"""Lineage and the model card in the synthesized pipeline (docs/lineage.md): the commit and the config hash are
fixed at synth, every registration names the same facts, the QualityGate gets what the card needs."""

from __future__ import annotations

import inspect

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
