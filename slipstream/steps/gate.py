"""QualityGate: may the challenger replace the champion? A plain function over the evaluation report.

It runs in a Lambda on AWS (followed by a Choice state) and in process locally, with no numpy or scipy: the
evaluation job computed the paired figures where the libraries are (training/gate_comparison.py); this only
reads them (slipstream/documents/evaluation.py) and decides:

- the challenger must beat the naive baseline on the same held-out rows: the interval of the difference lies
  wholly on the better side of zero (verdict "better");
- against the champion, the verdict is "better" or "worse" when the interval lies wholly beyond
  `max_regression` on that side (the margin of differences too small to matter), else "not distinguishable";
  "worse" is rejected, and with `gate.champion = "better"` so is "not distinguishable";
- `gate.threshold`, when set, is an absolute bar on the held-out value as well;
- failed behavioural tests reject (unless `require_behaviour = false`).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import ValidationError

from slipstream.config import GateConfig
from slipstream.documents.evaluation import Evaluation, Interval, MetricComparison
from slipstream.documents.gate import GateComparison, GateDecision, Verdict

Reasons = tuple[list[str], list[str]]  # (rejections, passes)


def _finite(value: float | None) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def verdict(interval: Interval, tolerance: float, *, higher_is_better: bool) -> Verdict:
    """The difference's interval, turned the better way round, against the band [-tolerance, +tolerance] of
    differences too small to matter: "better" or "worse" only when the whole interval lies beyond it.

    The band is what keeps a retrained model from being called better or worse by noise: the interval covers
    the held-out rows' sampling, not the seed-to-seed differences of a retrained model, which are real but
    immaterial (tests/model/test_gate_statistics.py measures both)."""
    low, high = (interval.low, interval.high) if higher_is_better else (-interval.high, -interval.low)
    if low > tolerance:
        return "better"
    if high < -tolerance:
        return "worse"
    return "not distinguishable"


def _compare(
    against: Literal["baseline", "champion"],
    interval: Interval,
    value: float,
    reference: float | None,
    *,
    tolerance: float,
    confidence: float,
    higher_is_better: bool,
) -> GateComparison:
    return GateComparison(
        against=against,
        reference=reference if reference is not None else value - interval.difference,
        value=value,
        difference=interval.difference,
        low=interval.low,
        high=interval.high,
        confidence=confidence,
        tolerance=tolerance,
        verdict=verdict(interval, tolerance, higher_is_better=higher_is_better),
    )


def _said(metric: str, c: GateComparison, what: str) -> str:
    return (
        f"{metric} {c.value:.4f} vs {what} {c.reference:.4f} on the same rows: {c.difference:+.4f} "
        f"({c.confidence:.0%} interval {c.low:+.4f} to {c.high:+.4f}): {c.verdict}"
    )


def figures_line(metric: str, c: GateComparison | None) -> str:
    """The comparison in the characters SageMaker takes in CustomerMetadataProperties (letters, digits, spaces,
    `_.:/=+-@`), short enough for its 256."""
    if c is None:
        return "none"
    return (
        f"{metric} {c.value:.4f} {c.against} {c.reference:.4f} diff {c.difference:+.4f} "
        f"ci{round(c.confidence * 100)} {c.low:+.4f} to {c.high:+.4f} {c.verdict}"
    )


def _threshold(value: float, gate: GateConfig, higher_is_better: bool) -> Reasons:
    if gate.threshold is None:
        return [], []
    metric, bar = gate.metric, "at least" if higher_is_better else "at most"
    missed = value < gate.threshold if higher_is_better else value > gate.threshold
    if missed:
        return [f"{metric} {value:.4f} misses the threshold: must be {bar} {gate.threshold:.4f}"], []
    return [], [f"{metric} {value:.4f} meets the threshold ({bar} {gate.threshold:.4f})"]


def _against_baseline(
    report: Evaluation, figures: MetricComparison | None, value: float, gate: GateConfig, higher_is_better: bool
) -> tuple[GateComparison | None, Reasons]:
    metric = gate.metric or ""
    if report.comparison is None:
        if gate.threshold is not None:
            return None, ([], ["the evaluation has no paired figures (an older evaluation job): threshold only"])
        why = "the evaluation has no paired figures (an older evaluation job) and no gate.threshold is set"
        return None, ([f"{why}: nothing shows {metric} beats a naive baseline"], [])
    if figures is None or figures.vs_baseline is None:
        return None, ([f"{metric}'s difference from the naive baseline is undefined on these held-out rows"], [])
    base = report.comparison.baseline
    shown = f"{base.value:.6g}" if isinstance(base.value, float) else repr(base.value)
    what = f"the naive baseline ({base.kind} {shown} from the {base.source})"
    compared = _compare(
        "baseline",
        figures.vs_baseline,
        value,
        figures.baseline,
        tolerance=0.0,
        confidence=report.comparison.confidence,
        higher_is_better=higher_is_better,
    )
    said = _said(metric, compared, what)
    if compared.verdict == "better":
        return compared, ([], [said])
    return compared, ([f"{said}: it must be better than the baseline"], [])


def _champion_point(value: float, champion: float, gate: GateConfig, higher_is_better: bool) -> Reasons:
    """No paired figures for the champion (its classes differ, or an older evaluation): the point values."""
    drop = champion - value if higher_is_better else value - champion
    said = f"{gate.metric} {value:.4f} vs champion {champion:.4f} (no paired interval: point values)"
    if drop > gate.max_regression:
        return [f"{said}: worse by {drop:.4f}, beyond the margin {gate.max_regression:.4f}"], []
    return [], [f"{said}: within the margin {gate.max_regression:.4f}"]


def _against_champion(
    report: Evaluation, figures: MetricComparison | None, value: float, gate: GateConfig, higher_is_better: bool
) -> tuple[GateComparison | None, Reasons]:
    champion = _finite((report.champion_metrics or {}).get(gate.metric or ""))
    if report.champion_error:
        return None, ([], [f"the champion could not be scored on this data ({report.champion_error})"])
    if champion is None:
        return None, ([], ["no champion yet"])
    if report.comparison is None or figures is None or figures.vs_champion is None:
        return None, _champion_point(value, champion, gate, higher_is_better)
    compared = _compare(
        "champion",
        figures.vs_champion,
        value,
        figures.champion,
        tolerance=gate.max_regression,
        confidence=report.comparison.confidence,
        higher_is_better=higher_is_better,
    )
    said = f"{_said(gate.metric or '', compared, 'champion')} (margin {gate.max_regression:.4f})"
    if compared.verdict == "worse":
        return compared, ([f"{said}: rejected"], [])
    if compared.verdict != "better" and gate.champion == "better":
        return compared, ([f'{said}: gate.champion = "better" needs a challenger shown better'], [])
    return compared, ([], [said])


def _behaviour(report: Evaluation, gate: GateConfig) -> Reasons:
    tests = report.behaviour.tests
    failures = [f"behavioural test failed: {t.kind} '{t.name}': {t.detail}" for t in tests if not t.passed]
    if failures:
        return (failures if gate.require_behaviour else []), []
    return [], [f"all {len(tests)} behavioural tests passed"]


def _unreadable(gate: GateConfig, error: ValidationError) -> GateDecision:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    reason = f"evaluation.json is not what the gate reads: {where}: {first['msg']}"
    return _decision(gate, None, None, (None, None), [reason], [])


def _decision(
    gate: GateConfig,
    value: float | None,
    champion_value: float | None,
    compared: tuple[GateComparison | None, GateComparison | None],
    rejections: list[str],
    passes: list[str],
) -> GateDecision:
    metric = gate.metric or ""
    return GateDecision(
        passed=not rejections,
        metric=metric,
        value=value,
        threshold=gate.threshold,
        champion_value=champion_value,
        baseline=compared[0],
        champion=compared[1],
        reasons=rejections or passes,
        baseline_figures=figures_line(metric, compared[0]),
        champion_figures=figures_line(metric, compared[1]),
    )


def decide(evaluation: dict, gate: GateConfig, *, higher_is_better: bool) -> GateDecision:
    """The threshold (if set), the baseline and champion comparisons and the behavioural tests; every reason."""
    try:
        report = Evaluation.model_validate(evaluation)
    except ValidationError as error:
        return _unreadable(gate, error)
    metric = gate.metric or ""
    value = _finite(report.metrics.get(metric))
    champion_value = _finite((report.champion_metrics or {}).get(metric))
    rejections, passes = _behaviour(report, gate)
    if value is None:
        rejections.insert(0, f"{metric} could not be computed on the held-out data")
        return _decision(gate, None, champion_value, (None, None), rejections, passes)
    figures = report.comparison.metrics.get(metric) if report.comparison else None
    baseline, by_baseline = _against_baseline(report, figures, value, gate, higher_is_better)
    champion, by_champion = _against_champion(report, figures, value, gate, higher_is_better)
    reasons = [_threshold(value, gate, higher_is_better), by_baseline, by_champion, (rejections, passes)]
    rejected = [reason for rejected, _ in reasons for reason in rejected]
    passed = [reason for _, kept in reasons for reason in kept]
    return _decision(gate, value, champion_value, (baseline, champion), rejected, passed)
