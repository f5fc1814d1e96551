"""The model card SageMaker keeps on a model package (CreateModelPackage `ModelCard.ModelCardContent`), built
from the same documents as the local card (slipstream/model_card.py): the evaluation, the gate's decision, the
data contract, the validation report and the lineage facts (slipstream/lineage.py).

It follows SageMaker's model package model card schema: the model card JSON schema without
`model_package_details`, and `model_overview` limited to `model_creator` and `model_artifact`. Free text is cut
to the schema's lengths and the whole to the API's 100,000 characters. The QualityGate Lambda builds it (it
holds the evaluation and the decision); Register sends it. A new metric group is one entry in METRIC_GROUPS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slipstream import lineage as names
from slipstream.config import Config
from slipstream.documents.gate import GateComparison, GateDecision
from slipstream.documents.tuning import TuningJobRecord
from slipstream.tuning_card import chosen_parameters, objective_metrics, search_evaluation

MAX_CONTENT = 100_000  # ModelPackageModelCard.ModelCardContent, botocore's shape
TEXT = 1024  # the schema's usual maxLength for free text
NAME = 63  # evaluation and metric group names
METRIC_NAME = 255
MAX_METRICS = 50  # training_metrics and metric_data items
MAX_DATASETS = 10  # evaluation_details[].datasets
CREATOR = "Slipstream pipeline"

Metric = dict[str, Any]
# The evaluation's metric groups: (name, builder of its metric_data from the evaluation and the decision).
MetricGroupBuilder = Callable[[dict[str, Any], GateDecision], list[Metric]]


def _text(value: str, limit: int = TEXT) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _number(name: str, value: Any, notes: str = "") -> Metric | None:
    if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
        return None  # NaN and non-numbers have no place in a "number" metric
    metric: Metric = {"name": _text(name, METRIC_NAME), "type": "number", "value": float(value)}
    return {**metric, "notes": _text(notes)} if notes else metric


def _held_out(evaluation: dict[str, Any], _: GateDecision) -> list[Metric]:
    rows = evaluation.get("n_test_rows")
    found = [_number(k, v, f"{rows} held-out rows") for k, v in (evaluation.get("metrics") or {}).items()]
    return [m for m in found if m]


def _champion(evaluation: dict[str, Any], _: GateDecision) -> list[Metric]:
    found = [
        _number(k, v, "the champion on the same rows") for k, v in (evaluation.get("champion_metrics") or {}).items()
    ]
    return [m for m in found if m]


def _comparison(c: GateComparison | None, metric: str) -> list[Metric]:
    if c is None:
        return []
    said = f"{c.against}: {c.verdict} ({c.confidence:.0%} interval, tolerance {c.tolerance})"
    found = [
        _number(f"{metric} {c.against} reference", c.reference, said),
        _number(f"{metric} difference vs {c.against}", c.difference, said),
        _number(f"{metric} difference vs {c.against} low", c.low),
        _number(f"{metric} difference vs {c.against} high", c.high),
    ]
    return [m for m in found if m]


def _gate(_: dict[str, Any], decision: GateDecision) -> list[Metric]:
    passed: Metric = {"name": "passed", "type": "boolean", "value": decision.passed}
    return [passed, *_comparison(decision.baseline, decision.metric), *_comparison(decision.champion, decision.metric)]


def _behaviour(evaluation: dict[str, Any], _: GateDecision) -> list[Metric]:
    tests = (evaluation.get("behaviour") or {}).get("tests") or []
    return [
        {
            "name": _text(f"{t.get('kind')} {t.get('name')}", METRIC_NAME),
            "type": "boolean",
            "value": bool(t.get("passed")),
        }
        for t in tests
    ]


def _importance(evaluation: dict[str, Any], _: GateDecision) -> list[Metric]:
    importance = evaluation.get("importance") or {}
    said = f"permutation on {importance.get('rows_used')} held-out rows, {importance.get('metric')}"
    found = [
        _number(
            f"importance {f['feature']}",
            f["mean"],
            f"{said}, std {f['std']:.4f}, {'above' if f['distinguishable'] else 'within'} noise",
        )
        for f in importance.get("features") or []
    ]
    return [m for m in found if m]


METRIC_GROUPS: tuple[tuple[str, MetricGroupBuilder], ...] = (
    ("held-out metrics", _held_out),
    ("champion on the same rows", _champion),
    ("quality gate", _gate),
    ("behavioural tests", _behaviour),
    ("feature importance", _importance),
)


def _evaluation(evaluation: dict[str, Any], decision: GateDecision, lineage: dict[str, str]) -> dict[str, Any]:
    verdict = "passed" if decision.passed else "rejected"
    groups = [{"name": name, "metric_data": build(evaluation, decision)[:MAX_METRICS]} for name, build in METRIC_GROUPS]
    return {
        "name": "held-out evaluation and quality gate",
        "evaluation_observation": _text(_observation(evaluation, decision, verdict)),
        "datasets": [lineage.get(names.DATA_SOURCE, "unknown")][:MAX_DATASETS],
        "metadata": {k: _text(v) for k, v in lineage.items() if k.startswith("gate.")},
        "metric_groups": [g for g in groups if g["metric_data"]],
    }


def _observation(evaluation: dict[str, Any], decision: GateDecision, verdict: str) -> str:
    """The gate's verdict, after any importance warning (a sensitive or identifier column on top): a reviewer
    reads those first."""
    flags = [f"WARNING: {flag['message']}" for flag in (evaluation.get("importance") or {}).get("flags") or []]
    return " ".join([*flags, f"Quality gate {verdict}: " + "; ".join(decision.reasons)])


def _training(
    config: Config, evaluation: dict[str, Any], lineage: dict[str, str], tuning: TuningJobRecord | None
) -> dict[str, Any]:
    metric = config.gate.metric or ""
    searched = f"; {tuning.summary()}" if tuning else ""
    return {
        "objective_function": {
            "function": {"function": "Maximize" if config.higher_is_better else "Minimize"},
            "notes": _text(f"quality gate metric {metric} on held-out rows"),
        },
        "training_observations": _text(
            f"{config.model.estimator} (scikit-learn {evaluation.get('model', {}).get('sklearn_version', 'unknown')}) "
            f"on {config.data.task} data, target {config.data.target}; {config.data.test_size:.0%} held out{searched}"
        ),
        "training_job_details": {
            "training_arn": _text(lineage.get(names.TRAINING_JOB, "unknown")),
            "training_datasets": [lineage.get(names.DATA_SOURCE, "unknown")],
            "hyper_parameters": chosen_parameters(config.model.params, tuning)[:MAX_METRICS],
            "training_metrics": objective_metrics(tuning),
        },
    }


def package_card(
    config: Config,
    *,
    evaluation: dict[str, Any],
    decision: GateDecision,
    contract: dict[str, Any],
    lineage: dict[str, str],
    model_artifact: str,
    tuning: TuningJobRecord | None = None,
) -> str:
    """ModelCardContent (JSON text) for this run's package; `lineage` is slipstream.lineage.lineage_facts();
    `tuning`: the SageMaker tuning job whose best trial this model is (its search section)."""
    features = ", ".join(f"{f['name']} ({f['kind']})" for f in contract.get("features", []))
    evaluated = _evaluation(evaluation, decision, lineage)
    searched = [search_evaluation(tuning, lineage.get(names.DATA_SOURCE, "unknown"))] if tuning else []
    card: dict[str, Any] = {
        "model_overview": {"model_creator": CREATOR, "model_artifact": [model_artifact]},
        "intended_uses": {
            "purpose_of_model": _text(config.model.intended_use or "Not stated: set model.intended_use in the config."),
            "factors_affecting_model_efficiency": _text(
                config.model.limitations or "Not stated: set model.limitations in the config."
            ),
            "risk_rating": "Unknown",
        },
        "training_details": _training(config, evaluation, lineage, tuning),
        "evaluation_details": [evaluated, *searched],
        "additional_information": {
            "caveats_and_recommendations": _text(
                f"Inputs outside the data contract are extrapolation. Features: {features}"
            ),
            "custom_details": {k: _text(v) for k, v in lineage.items() if not k.startswith("gate.")},
        },
    }
    content = json.dumps(card, separators=(",", ":"))
    if len(content) > MAX_CONTENT:
        # Only dozens of long hyperparameters and metric names get here; the rest is bounded far below the limit.
        for entry in card["evaluation_details"]:
            entry["metric_groups"] = []
        card["training_details"]["training_job_details"]["hyper_parameters"] = []
        content = json.dumps(card, separators=(",", ":"))
    return content
