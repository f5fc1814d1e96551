"""QualityGate on AWS: read the processing job's evaluation.json, apply the same decision as locally, and write
the model package's model card (the Lambda is where the evaluation and the decision meet; Register sends it)."""

from __future__ import annotations

import json
from typing import Any

from lambdas.common.s3uri import split_s3_uri
from slipstream.config import Config
from slipstream.documents.gate import CardSources, GateDecision, GateRequest
from slipstream.lineage import lineage_facts
from slipstream.package_card import package_card
from slipstream.steps.gate import decide
from slipstream.tuning_job import read_tuning_job


def judge(request: GateRequest, config: Config, *, s3: Any, sagemaker: Any = None) -> GateDecision:
    """`sagemaker` (a client) reads the tuning job the card's search section comes from, with [tuning]."""
    evaluation = _read_json(s3, request.evaluation_uri)
    tuning = read_tuning_job(sagemaker, request.card.tuning_job) if request.card.tuning_job else None
    decision = decide(evaluation, config.gate, higher_is_better=config.higher_is_better)
    card = package_card(
        config,
        evaluation=evaluation,
        decision=decision,
        contract=_read_json(s3, request.card.contract_uri),
        lineage=card_lineage(request.run_id, request.card, config, decision),
        model_artifact=request.card.model_artifact,
        tuning=tuning,
    )
    return decision.model_copy(update={"model_card": card})


def card_lineage(run_id: str, sources: CardSources, config: Config, decision: GateDecision) -> dict[str, str]:
    """The facts the package's CustomerMetadataProperties carry, under the same names (the data unescaped)."""
    return lineage_facts(
        run_id=run_id,
        data_source=sources.data_uri,
        data_sha256=sources.data_sha256,
        git_commit=sources.git_commit,
        config_sha256=sources.config_sha256,
        training_job=sources.training_job,
        estimator=config.model.estimator or "",
        gate_decision="passed" if decision.passed else "rejected",
        gate_baseline=decision.baseline_figures,
        gate_champion=decision.champion_figures,
    )


def _read_json(s3: Any, uri: str) -> Any:
    bucket, key = split_s3_uri(uri)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
