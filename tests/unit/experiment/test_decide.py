import numpy as np

from slipstream.experiment.decide import HISTORY_POINTS, VariantData, decide
from slipstream.experiment.result import ExperimentResult
from tests.unit.experiment.simulate import settings


def _variant(outcomes: np.ndarray, **extra: object) -> VariantData:
    return VariantData(outcomes=outcomes, assigned=len(outcomes), **extra)  # type: ignore[arg-type]


def _accuracy(rng: np.random.Generator, p: float, n: int) -> np.ndarray:
    return (rng.random(n) < p).astype(float)


def test_below_the_minimum_sample_it_keeps_collecting() -> None:
    rng = np.random.default_rng(9)
    champion = VariantData(outcomes=_accuracy(rng, 0.8, 500), assigned=600)
    challenger = VariantData(outcomes=_accuracy(rng, 0.8, 150), assigned=590)  # feedback is slow to arrive
    result = decide(champion, challenger, settings(weight=0.5))
    assert (result.decision, result.action) == ("keep collecting", "continue")
    assert "needs 200 rows" in result.reason and "challenger 150" in result.reason
    assert result.interval is None and result.effect is None and result.p_value == 1.0


def test_a_sample_ratio_mismatch_invalidates_whatever_the_outcomes_say() -> None:
    rng = np.random.default_rng(10)
    champion = VariantData(outcomes=_accuracy(rng, 0.5, 2_000), assigned=1_100)
    challenger = VariantData(outcomes=_accuracy(rng, 0.9, 2_000), assigned=900)
    result = decide(champion, challenger, settings(weight=0.5))
    assert (result.decision, result.action) == ("invalid (sample ratio mismatch)", "investigate")
    assert "45.0% of 2,000 requests" in result.reason


def test_a_clearly_better_challenger_is_promoted_with_its_figures() -> None:
    rng = np.random.default_rng(11)
    result = decide(_variant(_accuracy(rng, 0.80, 3_000)), _variant(_accuracy(rng, 0.86, 3_000)), settings(weight=0.5))
    assert (result.decision, result.action) == ("challenger better", "promote")
    assert result.interval is not None and result.interval.lower > 0 and result.p_value <= 0.05
    assert result.interval.contains(result.effect or 0.0)
    assert [v.labelled for v in result.variants] == [3_000, 3_000]
    assert 0 < len(result.history) <= HISTORY_POINTS
    widths = [look.upper - look.lower for look in result.history]
    assert widths == sorted(widths, reverse=True)


def test_lower_is_better_the_challenger_with_the_higher_loss_loses() -> None:
    rng = np.random.default_rng(12)
    config = settings(weight=0.5, metric="log_loss")
    result = decide(_variant(rng.exponential(0.30, 3_000)), _variant(rng.exponential(0.40, 3_000)), config)
    assert result.lower_is_better and result.effect is not None and result.effect > 0
    assert (result.decision, result.action) == ("champion better", "stop")


def test_no_difference_that_matters_is_called_once_the_interval_is_narrow_enough() -> None:
    rng = np.random.default_rng(13)
    result = decide(
        _variant(_accuracy(rng, 0.85, 20_000)), _variant(_accuracy(rng, 0.85, 20_000)), settings(weight=0.5)
    )
    assert (result.decision, result.action) == ("no difference detectable", "stop")
    assert result.interval is not None and result.interval.lower > -0.02 and result.interval.upper < 0.02


def test_a_challenger_breaching_a_guardrail_is_stopped_even_when_it_wins() -> None:
    rng = np.random.default_rng(14)
    slow = rng.normal(3_000, 100, 3_000)  # ms: over the 2,000 ms p95 ceiling
    result = decide(
        _variant(_accuracy(rng, 0.80, 3_000), latencies_ms=rng.normal(50, 5, 3_000), errors=np.zeros(3_000)),
        _variant(_accuracy(rng, 0.86, 3_000), latencies_ms=slow, errors=np.zeros(3_000)),
        settings(weight=0.5),
    )
    assert result.decision == "challenger better" and result.action == "stop"
    assert [(b.variant, b.name) for b in result.breaches] == [("challenger", "p95_latency_ms")]
    assert "breaches a guardrail" in result.reason


def test_guardrails_wait_for_enough_requests_and_say_when_unmeasured() -> None:
    rng = np.random.default_rng(15)
    few_errors = np.ones(50)  # every request failed, but only 50 of them
    result = decide(_variant(_accuracy(rng, 0.8, 50), errors=few_errors), _variant(_accuracy(rng, 0.8, 50)), settings())
    values = {(g.variant, g.name): g.value for g in result.guardrails}
    assert values[("champion", "error_rate")] is None and values[("challenger", "p95_latency_ms")] is None
    assert not result.breaches


def test_the_result_travels_as_json() -> None:
    rng = np.random.default_rng(16)
    result = decide(_variant(_accuracy(rng, 0.80, 1_000)), _variant(_accuracy(rng, 0.86, 1_000)), settings(weight=0.5))
    assert ExperimentResult.model_validate_json(result.model_dump_json()) == result
