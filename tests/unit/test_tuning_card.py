"""A tuned model's package card: the chosen parameters, the best objective and the trials' table (best first, at
most 50, the rest counted, the tuning job linked), within the schema the emulated account enforces."""

from __future__ import annotations

import json

from slipstream.config import load_config
from slipstream.documents.tuning import TuningJobRecord, TuningJobTrial
from slipstream.local.strict.model_packages import model_card_error
from slipstream.package_card import package_card
from tests.unit.test_strict_model_cards import DECISION, FACTS

JOB = "0123456789abcdef0123456789abcdef"


def _record(count: int) -> TuningJobRecord:
    trials = [
        TuningJobTrial(
            name=f"{JOB}-{i:03d}-0000000{i % 10}",
            status="Failed" if i == 1 else "Completed",
            params={"C": str(i / 10), "fit_intercept": "True"},
            score=None if i == 1 else 0.9 + i / 10_000,
        )
        for i in range(1, count + 1)
    ]
    return TuningJobRecord(
        job_name=JOB,
        job_arn=f"arn:aws:sagemaker:eu-west-1:123456789012:hyper-parameter-tuning-job/{JOB}",
        status="Completed",
        metric="cv:roc_auc",
        higher_is_better=True,
        trials_requested=count,
        best=trials[-1],
        trials=trials,
    )


def test_the_search_section_of_a_tuned_models_card() -> None:
    config = load_config("slipstream.toml")
    content = package_card(
        config,
        evaluation={"metrics": {"roc_auc": 0.95}, "n_test_rows": 10},
        decision=DECISION,
        contract={"features": [{"name": "x", "kind": "numeric"}]},
        lineage=FACTS,
        model_artifact="s3://a/m",
        tuning=_record(120),
    )
    assert model_card_error({"ModelCardContent": content, "ModelCardStatus": "Draft"}) is None
    card = json.loads(content)
    details = card["training_details"]["training_job_details"]
    chosen = {p["name"]: p["value"] for p in details["hyper_parameters"]}
    assert chosen["C"] == "12.0" and chosen["fit_intercept"] == "True"
    assert details["training_metrics"] == [
        {"name": "cv:roc_auc", "value": 0.912, "notes": details["training_metrics"][0]["notes"]}
    ]
    search = card["evaluation_details"][1]
    trials = search["metric_groups"][0]["metric_data"]
    assert len(trials) == 50 and trials[0]["name"].endswith("-120-00000000 (best)")
    assert [t["value"] for t in trials] == sorted((t["value"] for t in trials), reverse=True)
    assert "69 more scored trial(s)" in search["evaluation_observation"]  # 119 scored, 50 shown
    assert "(1 without a score)" in search["evaluation_observation"]
    assert f"region=eu-west-1#/hyper-tuning-jobs/{JOB}" in search["evaluation_observation"]
    assert search["metadata"]["console"].endswith(f"region=eu-west-1#/hyper-tuning-jobs/{JOB}")
