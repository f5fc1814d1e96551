"""A model card per registered version: what a reviewer needs to trust (or refuse) the model."""

from __future__ import annotations

from typing import Any

from slipstream.config import Config
from slipstream.documents.evaluation import Importance
from slipstream.documents.gate import GateDecision
from slipstream.documents.tuning import TuningRecord


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _interval(figures: dict[str, Any], against: str) -> str:
    interval = figures.get(f"vs_{against}")
    if not interval:
        return "—"
    return f"{interval['difference']:+.4f} ({interval['low']:+.4f} to {interval['high']:+.4f})"


def _metrics_table(evaluation: dict[str, Any]) -> list[str]:
    champion = evaluation.get("champion_metrics") or {}
    comparison = evaluation.get("comparison") or {}
    paired = comparison.get("metrics") or {}
    level = f"{comparison.get('confidence', 0.95):.0%}"
    rows = [
        f"| metric | this model | naive baseline | difference ({level} interval) | champion (same data) "
        f"| difference ({level} interval) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, value in (evaluation.get("metrics") or {}).items():
        figures = paired.get(name) or {}
        rows.append(
            f"| {name} | {_fmt(value)} | {_fmt(figures.get('baseline', '—'))} | {_interval(figures, 'baseline')} "
            f"| {_fmt(champion.get(name, '—'))} | {_interval(figures, 'champion')} |"
        )
    if comparison:
        baseline = comparison["baseline"]
        rows += [
            "",
            f"Differences are this model minus the other on the same {comparison['rows']} held-out rows, with "
            f"{level} intervals from a {comparison['method']} ({comparison['resamples']} resamples, seed "
            f"{comparison['seed']}). The naive baseline predicts the {baseline['kind']} "
            f"(`{baseline['value']}`) of the {baseline['source']}"
            + (f"; {baseline['note']}." if baseline["note"] else "."),
        ]
    return rows


def _gate_lines(config: Config, decision: GateDecision, verdict: str) -> list[str]:
    bar = f"threshold {decision.threshold}" if decision.threshold is not None else "no absolute threshold"
    lines = [
        f"**{verdict}** on `{decision.metric}` ({bar}; against the champion: `{config.gate.champion}`, "
        f"margin max_regression {config.gate.max_regression}).",
        "",
    ]
    compared = [c for c in (decision.baseline, decision.champion) if c is not None]
    if compared:
        lines += [
            "| against | reference | this model | difference | interval | verdict |",
            "|---|---:|---:|---:|---|---|",
        ]
        lines += [
            f"| {c.against} | {c.reference:.4f} | {c.value:.4f} | {c.difference:+.4f} | {c.confidence:.0%}: "
            f"{c.low:+.4f} to {c.high:+.4f} | {c.verdict} |"
            for c in compared
        ]
        lines.append("")
    return lines + [f"- {reason}" for reason in decision.reasons]


def importance_of(evaluation: dict[str, Any]) -> Importance | None:
    """The evaluation's permutation importance (None: evaluated by a job from before it was computed)."""
    raw = evaluation.get("importance")
    return Importance.model_validate(raw) if raw else None


def warning_lines(importance: Importance | None) -> list[str]:
    """A visible block at the top of the card, one line per flag (docs/explanations.md)."""
    if importance is None or not importance.flags:
        return []
    # A blank line after each: consecutive quote lines would render as one paragraph.
    return [line for flag in importance.flags for line in (f"> **Warning:** {flag.message}.", "")]


def _importance_lines(importance: Importance | None) -> list[str]:
    if importance is None:
        return ["Not computed: this model was evaluated before permutation importance was."]
    if not importance.features:
        return [f"Not computed: {importance.note}."]
    rows = ["| rank | feature | importance (mean ± std) | above noise |", "|---:|---|---:|---|"]
    rows += [
        f"| {rank} | `{f.feature}` | {f.mean:+.4f} ± {f.std:.4f} | {'yes' if f.distinguishable else 'no'} |"
        for rank, f in enumerate(importance.features, 1)
    ]
    subset = f" (a seeded subset of {importance.rows_used})" if importance.rows_used < importance.rows else ""
    turned = ", negated so that positive means relied on" if importance.orientation != "as is" else ""
    return [
        *rows,
        "",
        f"The drop in `{importance.metric}`{turned} when one input column is shuffled, over "
        f"{importance.repeats} shuffles of the {importance.rows} held-out rows{subset}, seed {importance.seed}. "
        f"Above noise: {importance.noise_rule}. It says what this model relies on, not what causes the target.",
        "",
        f"Most important feature above noise: {_top_name(importance)}.",
    ]


def _top_name(importance: Importance) -> str:
    top = importance.top_above_noise()
    return f"`{top.feature}`" if top is not None else "none (no shuffled column costs more than its noise)"


def _listed_columns(config: Config) -> list[str]:
    listed = (("Sensitive columns", config.data.sensitive), ("Identifier columns", config.data.identifiers))
    return [f"- {what}: " + ", ".join(f"`{name}`" for name in names) for what, names in listed if names]


def _behaviour_table(evaluation: dict[str, Any]) -> list[str]:
    tests = (evaluation.get("behaviour") or {}).get("tests") or []
    if not tests:
        return ["No behavioural tests are configured (`[behaviour]` in the config)."]
    rows = ["| kind | test | result | detail |", "|---|---|---|---|"]
    for test in tests:
        result = "pass" if test.get("passed") else "**FAIL**"
        rows.append(f"| {test.get('kind')} | {test.get('name')} | {result} | {test.get('detail', '')} |")
    return rows


def _drift_lines(shift: dict[str, Any] | None) -> list[str]:
    """Drift before training (slipstream/steps/training_drift.py), as ValidateData found it."""
    if not shift:
        return []
    if shift["status"] == "skipped":
        return [f"- Drift before training: not checked ({shift['why']})"]
    if shift["status"] == "ok":
        return [f"- Drift before training: none against the contract's baseline (PSI < {shift['min_psi']:g})"]
    figures = ", ".join(f"`{f['name']}` (PSI {f['psi']:.2f})" for f in shift["features"] if f["status"] == "drift")
    return [
        f"- **Drift before training** against the contract's baseline: {figures}; trained anyway "
        '(`on_training_drift = "warn"`): the held-out metrics are measured on the shifted data'
    ]


def _params(config: Config, tuning: TuningRecord | None) -> dict[str, Any]:
    return {**config.model.params, **(tuning.best.params if tuning else {})}


def _tuning_lines(tuning: TuningRecord | None) -> list[str]:
    """The search that chose the parameters: its budget, the best trials, and that it never saw the held-out rows."""
    if tuning is None:
        return []
    ranked = sorted((t for t in tuning.trials if t.score is not None), key=lambda t: t.score or 0.0)
    ranked = ranked[::-1] if tuning.higher_is_better else ranked
    failed = sum(1 for t in tuning.trials if t.score is None)
    rows = [f"| trial | {tuning.metric} (CV mean ± std) | parameters |", "|---:|---:|---|"]
    rows += [f"| {t.trial} | {t.score:.4f} ± {t.score_std or 0:.4f} | `{t.params}` |" for t in ranked[:5]]
    return [
        "## Hyperparameter search",
        f"- {tuning.summary()}; {tuning.trials_run} of {tuning.trials_requested} trial(s) run in {tuning.seconds:.1f}s"
        + (f", {failed} failed" if failed else ""),
        "- Cross-validated within the training split only: the held-out rows below were not seen by the search",
        "",
        *rows,
        "",
    ]


def render_model_card(
    config: Config,
    *,
    evaluation: dict[str, Any],
    decision: GateDecision,
    contract: dict[str, Any],
    lineage: dict[str, str],
    report: dict[str, Any],
    not_staged: str | None = None,
    tuning: TuningRecord | None = None,
) -> str:
    """`not_staged`: why a passing model was registered without being staged (an experiment was running);
    `tuning`: the training job's hyperparameter search, whose best parameters this model was refit with."""
    features = contract.get("features", [])
    feature_list = ", ".join(f"`{f['name']}` ({f['kind']})" for f in features)
    verdict = "REJECTED — the champion is unchanged"
    if decision.passed:
        staged = config.gate.promote == "challenger"
        verdict = "PASSED — staged as challenger for an A/B test" if staged else "PASSED — promoted to champion"
        if not_staged:
            verdict = f"PASSED — registered but not staged: {not_staged}"
    labels = contract.get("labels")
    importance = importance_of(evaluation)
    lines = [
        f"# Model card: {config.name}",
        "",
        *warning_lines(importance),
        "## Model",
        f"- Task: {config.data.task}; target `{config.data.target}`" + (f"; classes {labels}" if labels else ""),
        f"- Estimator: `{config.model.estimator}` with params `{_params(config, tuning)}`, "
        "after imputation, scaling and one-hot encoding",
        f"- scikit-learn {evaluation.get('model', {}).get('sklearn_version', 'unknown')}",
        "",
        *_tuning_lines(tuning),
        "## Data",
        f"- Source: `{config.data.source}` (SHA-256 `{lineage.get('data.sha256', 'unknown')}`)",
        f"- Rows: {report.get('rows', '?')}; held out for evaluation: {evaluation.get('n_test_rows', '?')} "
        f"({config.data.test_size:.0%}, never seen by training)",
        f"- Features ({len(features)}): {feature_list}",
        *_listed_columns(config),
        *_drift_lines(report.get("training_drift")),
        "",
        "## Metrics (held-out data)",
        *_metrics_table(evaluation),
        "",
        "## Feature importance (held-out data)",
        *_importance_lines(importance),
        "",
        "## Behavioural tests",
        *_behaviour_table(evaluation),
        "",
        "## Quality gate",
        *_gate_lines(config, decision, verdict),
        "",
        "## Lineage",
        # The gate's tags repeat the section above (the registry keeps them for queries).
        *(f"- {key}: `{value}`" for key, value in sorted(lineage.items()) if not key.startswith("gate.")),
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
