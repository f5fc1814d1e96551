import numpy as np
import pytest
from scipy.stats import chisquare

from slipstream.experiment.srm import sample_ratio


def test_a_45_55_split_against_an_even_weight_is_flagged_at_2000_assignments() -> None:
    result = sample_ratio(1_100, 900, weight=0.5, alpha=0.001)
    assert result.mismatch and result.p_value < 1e-4
    assert result.observed_share == pytest.approx(0.45)


def test_an_exact_even_split_is_not_flagged() -> None:
    result = sample_ratio(1_000, 1_000, weight=0.5, alpha=0.001)
    assert not result.mismatch and result.p_value == pytest.approx(1.0)


@pytest.mark.parametrize(("champion", "challenger", "weight"), [(1_100, 900, 0.5), (870, 130, 0.1), (40, 9, 0.25)])
def test_p_value_is_scipys_chi_square(champion: int, challenger: int, weight: float) -> None:
    total = champion + challenger
    expected = chisquare([champion, challenger], f_exp=[total * (1 - weight), total * weight]).pvalue
    assert sample_ratio(champion, challenger, weight=weight, alpha=0.001).p_value == pytest.approx(expected, rel=1e-9)


def test_correct_routing_is_flagged_about_as_often_as_srm_alpha() -> None:
    rng = np.random.default_rng(5)
    challengers = rng.binomial(2_000, 0.3, size=20_000)
    flagged = sum(sample_ratio(2_000 - int(c), int(c), weight=0.3, alpha=0.001).mismatch for c in challengers)
    assert flagged / len(challengers) < 0.003


def test_challenger_traffic_with_a_zero_weight_is_a_mismatch() -> None:
    assert sample_ratio(100, 3, weight=0.0, alpha=0.001).mismatch
    assert not sample_ratio(100, 0, weight=0.0, alpha=0.001).mismatch
    assert not sample_ratio(0, 0, weight=0.5, alpha=0.001).mismatch
