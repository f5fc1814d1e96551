from slipstream.config import GateConfig
from slipstream.steps.gate import decide

GATE = GateConfig(metric="roc_auc", threshold=0.9, max_regression=0.01)


def evaluation(value, champion=None, tests=()):
    return {
        "metrics": {"roc_auc": value},
        "champion_metrics": {"roc_auc": champion} if champion is not None else None,
        "behaviour": {"passed": all(t["passed"] for t in tests), "tests": list(tests)},
    }


def test_first_model_above_threshold_passes():
    decision = decide(evaluation(0.95), GATE, higher_is_better=True)
    assert decision.passed
    assert any("no champion yet" in r for r in decision.reasons)


def test_below_threshold_is_rejected_with_the_numbers():
    decision = decide(evaluation(0.85), GATE, higher_is_better=True)
    assert not decision.passed
    assert decision.reasons == ["roc_auc 0.8500 misses the threshold: must be at least 0.9000"]


def test_worse_than_champion_beyond_tolerance_is_rejected():
    decision = decide(evaluation(0.93, champion=0.97), GATE, higher_is_better=True)
    assert not decision.passed
    assert "worse than the champion's 0.9700 by 0.0400" in decision.reasons[0]


def test_within_tolerance_of_champion_passes():
    assert decide(evaluation(0.965, champion=0.97), GATE, higher_is_better=True).passed


def test_every_reason_is_stated():
    failed = {"kind": "directional", "name": "worst radius", "passed": False, "detail": "moved the wrong way"}
    decision = decide(evaluation(0.5, champion=0.97, tests=[failed]), GATE, higher_is_better=True)
    assert len(decision.reasons) == 3
    assert "behavioural test failed: directional 'worst radius': moved the wrong way" in decision.reasons


def test_behaviour_can_be_advisory():
    failed = {"kind": "invariance", "name": "x", "passed": False, "detail": "flips"}
    gate = GateConfig(metric="roc_auc", threshold=0.9, require_behaviour=False)
    assert decide(evaluation(0.95, tests=[failed]), gate, higher_is_better=True).passed


def test_lower_is_better_metrics():
    gate = GateConfig(metric="rmse", threshold=10.0, max_regression=0.5)
    ok = {"metrics": {"rmse": 8.0}, "champion_metrics": {"rmse": 7.8}, "behaviour": {"tests": []}}
    assert decide(ok, gate, higher_is_better=False).passed
    worse = {"metrics": {"rmse": 9.0}, "champion_metrics": {"rmse": 7.8}, "behaviour": {"tests": []}}
    assert not decide(worse, gate, higher_is_better=False).passed
    too_high = {"metrics": {"rmse": 11.0}, "behaviour": {"tests": []}}
    assert "must be at most 10.0000" in decide(too_high, gate, higher_is_better=False).reasons[0]


def test_missing_metric_is_rejected_not_crashed():
    decision = decide({"metrics": {"roc_auc": None}, "behaviour": {"tests": []}}, GATE, higher_is_better=True)
    assert not decision.passed
    assert "could not be computed" in decision.reasons[0]


def test_unscorable_champion_is_said_not_hidden():
    report = {**evaluation(0.95), "champion_error": "feature 'x' missing"}
    decision = decide(report, GATE, higher_is_better=True)
    assert decision.passed
    assert any("champion could not be scored on this data (feature 'x' missing)" in r for r in decision.reasons)
