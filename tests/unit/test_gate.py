"""The gate's decision over the evaluation job's paired figures (the figures themselves: tests/model)."""

from __future__ import annotations

from typing import Any

from lambdas.common.metadata import metadata_value
from slipstream.config import GateConfig
from slipstream.steps.gate import decide

GATE = GateConfig(metric="roc_auc", max_regression=0.0)  # margins: test_the_margin_is_judged_against_the_interval


def interval(difference: float, low: float, high: float) -> dict[str, Any]:
    return {"difference": difference, "low": low, "high": high, "resamples": 2000}


def evaluation(
    value: float | None,
    *,
    baseline: tuple[float, float, float] | None = (0.45, 0.40, 0.50),
    champion: float | None = None,
    vs_champion: tuple[float, float, float] | None = None,
    tests: tuple[dict[str, Any], ...] = (),
    metric: str = "roc_auc",
) -> dict[str, Any]:
    """An evaluation.json as training/evaluation_run.py writes it (the parts the gate reads)."""
    figures = {
        "challenger": value,
        "baseline": None if value is None or baseline is None else value - baseline[0],
        "champion": champion,
        "vs_baseline": interval(*baseline) if baseline else None,
        "vs_champion": interval(*vs_champion) if vs_champion else None,
    }
    return {
        "task": "classification",
        "n_test_rows": 114,
        "metrics": {metric: value},
        "champion_metrics": {metric: champion} if champion is not None else None,
        "comparison": {
            "method": "paired bootstrap",
            "resamples": 2000,
            "confidence": 0.95,
            "seed": 42,
            "rows": 114,
            "rows_resampled": 114,
            "baseline": {"kind": "majority class", "value": "benign", "source": "training data", "note": None},
            "metrics": {metric: figures},
        },
        "behaviour": {"passed": all(t["passed"] for t in tests), "tests": list(tests)},
    }


def test_a_first_model_that_beats_the_baseline_passes_without_a_threshold():
    decision = decide(evaluation(0.95), GATE, higher_is_better=True)
    assert decision.passed and decision.threshold is None
    assert decision.baseline is not None and decision.baseline.verdict == "better"
    assert decision.baseline.reference == 0.95 - 0.45  # as the figures give it
    assert any("vs the naive baseline (majority class 'benign' from the training data)" in r for r in decision.reasons)
    assert "no champion yet" in decision.reasons


def test_a_model_the_interval_does_not_separate_from_the_baseline_is_rejected():
    decision = decide(evaluation(0.53, baseline=(0.03, -0.02, 0.08)), GATE, higher_is_better=True)
    assert not decision.passed
    assert decision.baseline is not None and decision.baseline.verdict == "not distinguishable"
    assert "+0.0300 (95% interval -0.0200 to +0.0800): not distinguishable" in decision.reasons[0]
    assert "must be better than the baseline" in decision.reasons[0]


def test_a_threshold_applies_only_when_set():
    gate = GateConfig(metric="roc_auc", threshold=0.97)
    decision = decide(evaluation(0.95), gate, higher_is_better=True)
    assert not decision.passed
    assert decision.reasons == ["roc_auc 0.9500 misses the threshold: must be at least 0.9700"]
    assert decide(evaluation(0.98), gate, higher_is_better=True).passed


def test_not_distinguishable_from_the_champion_passes_by_default_and_not_when_better_is_required():
    report = evaluation(0.95, champion=0.96, vs_champion=(-0.01, -0.03, 0.01))
    decision = decide(report, GATE, higher_is_better=True)
    assert decision.passed
    assert decision.champion is not None and decision.champion.verdict == "not distinguishable"
    strict = decide(report, GateConfig(metric="roc_auc", champion="better", max_regression=0), higher_is_better=True)
    assert not strict.passed and 'gate.champion = "better"' in strict.reasons[0]


def test_worse_than_the_champion_is_rejected_with_the_interval():
    decision = decide(evaluation(0.93, champion=0.97, vs_champion=(-0.04, -0.06, -0.02)), GATE, higher_is_better=True)
    assert not decision.passed
    assert decision.champion is not None and decision.champion.verdict == "worse"
    assert (
        "vs champion 0.9700 on the same rows: -0.0400 (95% interval -0.0600 to -0.0200): worse" in decision.reasons[0]
    )


def test_the_margin_is_judged_against_the_interval():
    report = evaluation(0.93, champion=0.97, vs_champion=(-0.04, -0.06, -0.02))
    tolerant = GateConfig(metric="roc_auc", max_regression=0.03)  # the interval reaches a drop of only 0.02
    decision = decide(report, tolerant, higher_is_better=True)
    assert decision.passed and decision.champion is not None
    assert (decision.champion.verdict, decision.champion.tolerance) == ("not distinguishable", 0.03)
    assert not decide(report, GateConfig(metric="roc_auc", max_regression=0.019), higher_is_better=True).passed
    # the margin works both ways: "better" needs the whole interval above +max_regression
    better = evaluation(0.97, champion=0.93, vs_champion=(0.04, 0.02, 0.06))
    assert decide(better, GateConfig(metric="roc_auc"), higher_is_better=True).champion.verdict == "better"  # type: ignore[union-attr]
    assert decide(better, tolerant, higher_is_better=True).champion.verdict == "not distinguishable"  # type: ignore[union-attr]


def test_better_than_the_champion_passes_either_way():
    report = evaluation(0.97, champion=0.93, vs_champion=(0.04, 0.02, 0.06))
    decision = decide(report, GateConfig(metric="roc_auc", champion="better"), higher_is_better=True)  # margin 0.01
    assert decision.passed and decision.champion is not None and decision.champion.verdict == "better"


def test_lower_is_better_metrics_turn_the_interval_round():
    gate = GateConfig(metric="rmse", max_regression=0.2)
    lower = evaluation(8.0, baseline=(-4.0, -5.0, -3.0), champion=7.0, vs_champion=(1.0, 0.5, 1.5), metric="rmse")
    decision = decide(lower, gate, higher_is_better=False)
    assert decision.baseline is not None and decision.baseline.verdict == "better"  # 4 lower than the mean's
    assert decision.champion is not None and decision.champion.verdict == "worse"  # 1 higher than the champion's
    assert not decision.passed
    too_high = decide(lower, GateConfig(metric="rmse", threshold=7.5), higher_is_better=False)
    assert "must be at most 7.5000" in too_high.reasons[0]


def test_every_reason_is_stated():
    failed = {"kind": "directional", "name": "worst radius", "passed": False, "detail": "moved the wrong way"}
    report = evaluation(0.5, baseline=(0.0, 0.0, 0.0), champion=0.97, vs_champion=(-0.47, -0.5, -0.4), tests=(failed,))
    decision = decide(report, GATE, higher_is_better=True)
    assert len(decision.reasons) == 3
    assert "behavioural test failed: directional 'worst radius': moved the wrong way" in decision.reasons


def test_behaviour_can_be_advisory():
    failed = {"kind": "invariance", "name": "x", "passed": False, "detail": "flips"}
    gate = GateConfig(metric="roc_auc", require_behaviour=False)
    assert decide(evaluation(0.95, tests=(failed,)), gate, higher_is_better=True).passed


def test_missing_metric_is_rejected_not_crashed():
    decision = decide(evaluation(None, baseline=None), GATE, higher_is_better=True)
    assert not decision.passed
    assert "could not be computed" in decision.reasons[0]


def test_unscorable_champion_is_said_not_hidden():
    report = {**evaluation(0.95), "champion_error": "feature 'x' missing"}
    decision = decide(report, GATE, higher_is_better=True)
    assert decision.passed
    assert any("champion could not be scored on this data (feature 'x' missing)" in r for r in decision.reasons)


def test_a_champion_without_paired_figures_is_compared_on_point_values_and_says_so():
    decision = decide(evaluation(0.95, champion=0.97), GATE, higher_is_better=True)
    assert not decision.passed and "no paired interval: point values" in decision.reasons[0]


def test_an_evaluation_without_paired_figures_needs_a_threshold():
    report = {k: v for k, v in evaluation(0.95).items() if k != "comparison"}
    assert not decide(report, GATE, higher_is_better=True).passed
    assert decide(report, GateConfig(metric="roc_auc", threshold=0.9), higher_is_better=True).passed


def test_a_malformed_evaluation_is_a_reason_not_a_traceback():
    report = evaluation(0.95)
    report["comparison"]["metrics"]["roc_auc"]["vs_baseline"] = {"difference": 0.4}
    decision = decide(report, GATE, higher_is_better=True)
    assert not decision.passed
    assert decision.reasons[0].startswith("evaluation.json is not what the gate reads: comparison.metrics.roc_auc")


def test_the_package_figures_are_valid_sagemaker_metadata_values():
    decision = decide(evaluation(0.93, champion=0.97, vs_champion=(-0.04, -0.06, -0.02)), GATE, higher_is_better=True)
    assert decision.champion_figures == "roc_auc 0.9300 champion 0.9700 diff -0.0400 ci95 -0.0600 to -0.0200 worse"
    for line in (decision.baseline_figures, decision.champion_figures):
        assert metadata_value(line) == line and len(line) <= 256
    assert decide(evaluation(0.95), GATE, higher_is_better=True).champion_figures == "none"
