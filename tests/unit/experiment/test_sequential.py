import numpy as np
import pytest

from slipstream.experiment.sequential import mixture_test, sequential_comparison


def test_the_last_look_is_the_mixture_test_on_all_the_data() -> None:
    rng = np.random.default_rng(6)
    champion, challenger = rng.normal(1.0, 2.0, 900), rng.normal(1.3, 1.0, 400)

    looks = sequential_comparison(champion, challenger, tau=0.2, alpha=0.05, min_samples=100)
    estimate, half_width, _ = mixture_test(
        900, champion.mean(), champion.var(ddof=1), 400, challenger.mean(), challenger.var(ddof=1), tau=0.2, alpha=0.05
    )

    assert (looks.n_champion[-1], looks.n_challenger[-1]) == (900, 400)
    assert looks.estimate[-1] == pytest.approx(float(estimate))
    assert looks.lower[-1] >= float(estimate - half_width) - 1e-12  # the running intersection is never wider
    assert looks.upper[-1] <= float(estimate + half_width) + 1e-12


def test_p_value_reaches_alpha_exactly_when_the_interval_leaves_zero() -> None:
    rng = np.random.default_rng(7)
    for shift in (0.0, 0.05, 0.1, 0.2):
        looks = sequential_comparison(
            rng.normal(0, 1, 3_000), rng.normal(shift, 1, 3_000), tau=0.1, alpha=0.05, min_samples=200
        )
        excludes_zero = (looks.lower > 0) | (looks.upper < 0)
        assert np.array_equal(excludes_zero, looks.p_value <= 0.05)
        assert np.all(np.diff(looks.p_value) <= 0) and np.all(np.diff(looks.upper - looks.lower) <= 1e-12)


def test_nothing_is_looked_at_before_both_arms_have_the_minimum() -> None:
    looks = sequential_comparison(np.ones(500), np.zeros(150), tau=0.02, alpha=0.05, min_samples=200)
    assert len(looks) == 0


def test_arrival_keys_order_the_looks() -> None:
    champion, challenger = np.zeros(300), np.ones(300)
    # Every champion outcome arrives first: the first look needs 200 challenger outcomes after all 300 champions.
    looks = sequential_comparison(
        champion,
        challenger,
        champion_order=np.arange(300.0),
        challenger_order=np.arange(300.0) + 1_000,
        tau=0.02,
        alpha=0.05,
        min_samples=200,
    )
    assert (looks.n_champion[0], looks.n_challenger[0]) == (300, 200)
    with pytest.raises(ValueError, match="3 arrival keys for 300 outcomes"):
        sequential_comparison(champion, challenger, champion_order=np.arange(3.0), tau=0.02, alpha=0.05, min_samples=1)


def test_large_errors_keep_their_precision() -> None:
    rng = np.random.default_rng(8)
    big = 1e8
    looks = sequential_comparison(
        big + rng.normal(0, 1, 1_000), big + rng.normal(0, 1, 1_000), tau=0.1, alpha=0.05, min_samples=200
    )
    assert 0.01 < looks.upper[-1] - looks.lower[-1] < 1.0
