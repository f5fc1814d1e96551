"""The emulated account keeps a model package's ModelCard (moto drops it) and refuses content SageMaker refuses:
not JSON, a section the model package card schema lacks (`model_package_details`), an overview beyond
`model_creator`/`model_artifact`, a metric without its type. botocore checks the status and the length."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from slipstream import package_card as package_card_module
from slipstream.config import load_config
from slipstream.documents.gate import GateDecision
from slipstream.lineage import lineage_facts
from slipstream.local.strict.model_packages import model_card_error
from slipstream.package_card import package_card
from tests.unit.test_strict_model_packages import IMAGE, sagemaker  # noqa: F401 (the fixture)

DECISION = GateDecision(
    passed=False,
    metric="roc_auc",
    value=0.5,
    threshold=None,
    champion_value=None,
    baseline=None,
    champion=None,
    reasons=["no better than the majority class"],
    baseline_figures="none",
    champion_figures="none",
)
FACTS = lineage_facts(
    **dict.fromkeys(("run_id", "data_sha256", "git_commit", "config_sha256", "training_job", "estimator"), "x"),
    data_source="s3://data/a b.csv",
    gate_decision="rejected",
    gate_baseline="none",
    gate_champion="none",
)


def card_content(**evaluation: Any) -> str:
    evaluation = {"metrics": {"roc_auc": 0.5, "f1": float("nan")}, "n_test_rows": 10, **evaluation}
    contract = {"features": [{"name": "x", "kind": "numeric"}]}
    config = load_config("slipstream.toml")
    return package_card(
        config, evaluation=evaluation, decision=DECISION, contract=contract, lineage=FACTS, model_artifact="s3://a/m"
    )


def test_the_pipelines_card_is_accepted_and_keeps_the_schemas_sections() -> None:
    content = card_content()
    assert model_card_error({"ModelCardContent": content, "ModelCardStatus": "Draft"}) is None
    card = json.loads(content)
    assert set(card["model_overview"]) == {"model_creator", "model_artifact"}
    metrics = card["evaluation_details"][0]["metric_groups"][0]["metric_data"]
    assert metrics == [{"name": "roc_auc", "type": "number", "value": 0.5, "notes": "10 held-out rows"}]  # no NaN


def test_the_card_carries_the_permutation_importance_and_its_warnings_first() -> None:
    importance = {
        "metric": "roc_auc",
        "rows_used": 10,
        "features": [{"feature": "x", "mean": 0.3, "std": 0.01, "distinguishable": True}],
        "flags": [{"kind": "top_feature_sensitive", "feature": "x", "message": "the top feature x is sensitive"}],
    }
    content = card_content(importance=importance)
    assert model_card_error({"ModelCardContent": content, "ModelCardStatus": "Draft"}) is None
    evaluation = json.loads(content)["evaluation_details"][0]
    group = next(g for g in evaluation["metric_groups"] if g["name"] == "feature importance")
    assert group["metric_data"][0]["name"] == "importance x" and group["metric_data"][0]["value"] == 0.3
    assert "above noise" in group["metric_data"][0]["notes"]
    assert evaluation["evaluation_observation"].startswith("WARNING: the top feature x is sensitive")


def test_a_card_too_long_for_the_api_drops_its_metrics_not_its_lineage(monkeypatch: pytest.MonkeyPatch) -> None:
    tests = [{"kind": "invariance", "name": f"t{i}" * 40, "passed": True} for i in range(2000)]
    full = card_content(behaviour={"tests": tests})
    assert len(json.loads(full)["evaluation_details"][0]["metric_groups"][-1]["metric_data"]) == 50  # the cap
    monkeypatch.setattr(package_card_module, "MAX_CONTENT", len(full) - 1)
    content = card_content(behaviour={"tests": tests})
    assert len(content) < len(full)
    card = json.loads(content)
    assert card["evaluation_details"][0]["metric_groups"] == []
    assert card["additional_information"]["custom_details"]["data.source"] == "s3://data/a b.csv"


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"model_package_details": {}}), "does not allow: ['model_package_details']"),
        (json.dumps({"model_overview": {"model_name": "m"}}), "allows only ['model_artifact', 'model_creator']"),
        (json.dumps({"intended_uses": {"risk_rating": "Huge"}}), "risk_rating 'Huge'"),
        (json.dumps({"evaluation_details": [{"metric_groups": []}]}), "needs a name"),
        (
            json.dumps({"evaluation_details": [{"name": "e", "metric_groups": [{"metric_data": [{"name": "m"}]}]}]}),
            "needs a name, a value and a type",
        ),
    ],
)
def test_content_sagemaker_refuses_is_refused(content: str, said: str) -> None:
    assert said in (model_card_error({"ModelCardContent": content}) or "")


def _create(sagemaker: Any, card: dict[str, str]) -> str:  # noqa: F811
    container = {"Image": IMAGE, "ModelDataUrl": "s3://artifacts/models/r1/model.tar.gz"}
    return sagemaker.create_model_package(
        ModelPackageGroupName="churn-dev",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [container],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        ModelCard=card,
    )["ModelPackageArn"]


def test_the_card_is_kept_described_and_updated(sagemaker: Any) -> None:  # noqa: F811
    content = card_content()
    arn = _create(sagemaker, {"ModelCardContent": content, "ModelCardStatus": "PendingReview"})
    assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelCard"]["ModelCardStatus"] == "PendingReview"
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")  # no card: it stays
    assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelCard"]["ModelCardContent"] == content
    card = {"ModelCardContent": content, "ModelCardStatus": "Approved"}
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ModelCard=card)
    assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelCard"] == card


def test_a_card_sagemaker_refuses_creates_no_package(sagemaker: Any) -> None:  # noqa: F811
    with pytest.raises(ClientError) as refused:
        _create(sagemaker, {"ModelCardContent": json.dumps({"model_package_details": {}}), "ModelCardStatus": "Draft"})
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert sagemaker.list_model_packages(ModelPackageGroupName="churn-dev")["ModelPackageSummaryList"] == []
    with pytest.raises(ClientError, match=r"modelCard\.modelCardStatus"):  # botocore's enum (strict params)
        _create(sagemaker, {"ModelCardContent": "{}", "ModelCardStatus": "Final"})
