"""A model card per registered version: what a reviewer needs to trust (or refuse) the model."""

from __future__ import annotations

from typing import Any

from slipstream.config import Config
from slipstream.documents.gate import GateDecision


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _metrics_table(evaluation: dict[str, Any]) -> list[str]:
    champion = evaluation.get("champion_metrics") or {}
    rows = ["| metric | this model | champion (same data) |", "|---|---:|---:|"]
    for name, value in (evaluation.get("metrics") or {}).items():
        rows.append(f"| {name} | {_fmt(value)} | {_fmt(champion.get(name, '—'))} |")
    return rows


def _behaviour_table(evaluation: dict[str, Any]) -> list[str]:
    tests = (evaluation.get("behaviour") or {}).get("tests") or []
    if not tests:
        return ["No behavioural tests are configured (`[behaviour]` in the config)."]
    rows = ["| kind | test | result | detail |", "|---|---|---|---|"]
    for test in tests:
        result = "pass" if test.get("passed") else "**FAIL**"
        rows.append(f"| {test.get('kind')} | {test.get('name')} | {result} | {test.get('detail', '')} |")
    return rows


def render_model_card(
    config: Config,
    *,
    evaluation: dict[str, Any],
    decision: GateDecision,
    contract: dict[str, Any],
    lineage: dict[str, str],
    report: dict[str, Any],
    not_staged: str | None = None,
) -> str:
    """`not_staged`: why a passing model was registered without being staged (an experiment was running)."""
    features = contract.get("features", [])
    feature_list = ", ".join(f"`{f['name']}` ({f['kind']})" for f in features)
    verdict = "REJECTED — the champion is unchanged"
    if decision.passed:
        staged = config.gate.promote == "challenger"
        verdict = "PASSED — staged as challenger for an A/B test" if staged else "PASSED — promoted to champion"
        if not_staged:
            verdict = f"PASSED — registered but not staged: {not_staged}"
    labels = contract.get("labels")
    lines = [
        f"# Model card: {config.name}",
        "",
        "## Model",
        f"- Task: {config.data.task}; target `{config.data.target}`" + (f"; classes {labels}" if labels else ""),
        f"- Estimator: `{config.model.estimator}` with params `{config.model.params}`, "
        "after imputation, scaling and one-hot encoding",
        f"- scikit-learn {evaluation.get('model', {}).get('sklearn_version', 'unknown')}",
        "",
        "## Data",
        f"- Source: `{config.data.source}` (SHA-256 `{lineage.get('data.sha256', 'unknown')}`)",
        f"- Rows: {report.get('rows', '?')}; held out for evaluation: {evaluation.get('n_test_rows', '?')} "
        f"({config.data.test_size:.0%}, never seen by training)",
        f"- Features ({len(features)}): {feature_list}",
        "",
        "## Metrics (held-out data)",
        *_metrics_table(evaluation),
        "",
        "## Behavioural tests",
        *_behaviour_table(evaluation),
        "",
        "## Quality gate",
        f"**{verdict}** on `{decision.metric}` (threshold {decision.threshold}, "
        f"tolerance against the champion {config.gate.max_regression}).",
        *(f"- {reason}" for reason in decision.reasons),
        "",
        "## Lineage",
        *(f"- {key}: `{value}`" for key, value in sorted(lineage.items())),
        "",
        "## Intended use and limits",
        config.model.intended_use or "Not stated: set `model.intended_use` in the config.",
        "",
        config.model.limitations
        or "Not stated: set `model.limitations`. The model is only as good as its training data; "
        "inputs outside the data contract's ranges are extrapolation.",
        "",
    ]
    return "\n".join(lines)
