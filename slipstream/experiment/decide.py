"""From per-variant outcomes to the experiment result: sample ratio first, then the test, then guardrails.

The order of the rules (docs/experiments.md): a sample ratio mismatch makes the comparison untrustworthy
whatever it says; an interval that excludes 0 decides for one side; an interval inside +-minimum_effect
says no difference that matters is there; anything else keeps collecting. A challenger that breaches a
guardrail is stopped whatever the test says; a champion's breach is only reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from slipstream.experiment.guardrails import Guardrail, guardrails
from slipstream.experiment.result import Action, Decision, ExperimentResult, Interval, Look, VariantSummary
from slipstream.experiment.sequential import Looks, sequential_comparison
from slipstream.experiment.srm import SampleRatio, sample_ratio
from slipstream.experiment_config import ExperimentConfig

HISTORY_POINTS = 50


@dataclass(frozen=True)
class VariantData:
    """One variant's evidence: outcomes per labelled row, and per request what the guardrails read."""

    outcomes: npt.NDArray[np.float64]
    assigned: int
    order: npt.NDArray[np.float64] | None = None  # arrival key of each outcome (e.g. feedback epoch seconds)
    errors: npt.NDArray[np.generic] | None = None  # per request: 1 when it failed; None when not captured
    latencies_ms: npt.NDArray[np.generic] | None = None  # per request
    versions: list[str] = field(default_factory=list)


def decide(champion: VariantData, challenger: VariantData, settings: ExperimentConfig) -> ExperimentResult:
    """The result for the evidence so far. `settings` must have its defaults filled (`Config.experiment`)."""
    if settings.metric is None or settings.minimum_effect is None:
        raise ValueError("experiment.metric and experiment.minimum_effect must be set (load the config first)")
    weight = settings.weight or 0.0
    ratio = sample_ratio(champion.assigned, challenger.assigned, weight=weight, alpha=settings.srm_alpha)
    looks = sequential_comparison(
        champion.outcomes,
        challenger.outcomes,
        champion_order=champion.order,
        challenger_order=challenger.order,
        tau=settings.minimum_effect,
        alpha=settings.alpha,
        min_samples=settings.min_samples,
    )
    rails = [
        *_guardrails("champion", champion, settings),
        *_guardrails("challenger", challenger, settings),
    ]
    interval = Interval(lower=float(looks.lower[-1]), upper=float(looks.upper[-1])) if len(looks) else None
    decision, reason = _decision(interval, ratio, settings, champion, challenger)
    action = _action(decision, [rail for rail in rails if rail.breached and rail.variant == "challenger"])
    if action == "stop" and decision not in ("champion better", "no difference detectable"):
        reason += "; the challenger breaches a guardrail, so it is stopped"
    return ExperimentResult(
        metric=settings.metric,
        lower_is_better=settings.lower_is_better,
        alpha=settings.alpha,
        minimum_effect=settings.minimum_effect,
        weight=weight,
        decision=decision,
        action=action,
        reason=reason,
        effect=float(looks.estimate[-1]) if len(looks) else None,
        interval=interval,
        p_value=float(looks.p_value[-1]) if len(looks) else 1.0,
        variants=[_summary("champion", champion), _summary("challenger", challenger)],
        sample_ratio=ratio,
        guardrails=rails,
        history=_history(looks),
    )


def _decision(
    interval: Interval | None,
    ratio: SampleRatio,
    settings: ExperimentConfig,
    champion: VariantData,
    challenger: VariantData,
) -> tuple[Decision, str]:
    if ratio.mismatch:
        share = ratio.observed_share or 0.0
        return "invalid (sample ratio mismatch)", (
            f"the challenger answered {share:.1%} of {ratio.champion + ratio.challenger:,} requests against a "
            f"weight of {ratio.expected_share:.0%} (p = {ratio.p_value:.2g} < {settings.srm_alpha:g})"
        )
    if interval is None:
        return "keep collecting", (
            f"each variant needs {settings.min_samples:,} rows with ground truth; the champion has "
            f"{len(champion.outcomes):,} and the challenger {len(challenger.outcomes):,}"
        )
    figures = f"{settings.metric} difference in [{interval.lower:+.4g}, {interval.upper:+.4g}]"
    if interval.lower > 0 or interval.upper < 0:
        increased = interval.lower > 0
        winner: Decision = "challenger better" if increased != settings.lower_is_better else "champion better"
        return winner, f"{figures} (challenger - champion) excludes 0 at alpha {settings.alpha:g}"
    effect = settings.minimum_effect or 0.0
    if -effect < interval.lower and interval.upper < effect:
        return "no difference detectable", f"{figures} lies inside +-{effect:g}, the minimum effect that matters"
    return "keep collecting", f"{figures} still includes 0 and effects of +-{effect:g}"


def _action(decision: Decision, challenger_breaches: list[Guardrail]) -> Action:
    if challenger_breaches:
        return "stop"
    if decision == "invalid (sample ratio mismatch)":
        return "investigate"
    if decision == "challenger better":
        return "promote"
    return "continue" if decision == "keep collecting" else "stop"


def _guardrails(name: str, data: VariantData, settings: ExperimentConfig) -> list[Guardrail]:
    return guardrails(
        name,
        errors=data.errors,
        latencies_ms=data.latencies_ms,
        max_error_rate=settings.max_error_rate,
        max_p95_latency_ms=settings.max_p95_latency_ms,
        min_requests=settings.min_samples,
    )


def _summary(name: str, data: VariantData) -> VariantSummary:
    mean = float(np.mean(data.outcomes)) if len(data.outcomes) else None
    return VariantSummary(
        variant=name,  # type: ignore[arg-type]
        versions=data.versions,
        assigned=data.assigned,
        labelled=len(data.outcomes),
        mean_outcome=mean,
    )


def _history(looks: Looks) -> list[Look]:
    if not len(looks):
        return []
    picks = np.unique(np.linspace(0, len(looks) - 1, HISTORY_POINTS).round().astype(int))
    return [
        Look(
            n_champion=int(looks.n_champion[i]),
            n_challenger=int(looks.n_challenger[i]),
            estimate=float(looks.estimate[i]),
            lower=float(looks.lower[i]),
            upper=float(looks.upper[i]),
            p_value=float(looks.p_value[i]),
            mean_champion=None if looks.mean_champion is None else float(looks.mean_champion[i]),
            mean_challenger=None if looks.mean_challenger is None else float(looks.mean_challenger[i]),
        )
        for i in picks
    ]
