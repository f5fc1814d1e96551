"""Verdicts (test + Holm + effect floor) and PSI against distributions with known answers, binned exactly as the
training baseline was."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from slipstream.baseline import bin_edges, bin_proportions
from slipstream.monitoring.drift import (
    UNSEEN,
    Drift,
    categorical_drift,
    numeric_drift,
    prediction_drift,
    psi,
    quantile_bins,
)
from slipstream.monitoring.figures import Settings, decide

OPTIONS = {"min_samples": 100, "rows": 5000}  # rows: the baseline's row count
PREDICTION = {"min_samples": 100, "row_count": 5000}


def judged(drift: Drift, settings: Settings | None = None) -> Drift:
    """The verdict of one distribution alone (a family of one), at the default settings."""
    return decide([drift], settings or Settings())[0]


def _numeric_baseline(values: np.ndarray) -> dict:
    series = pd.Series(values)
    edges = bin_edges(series)
    return {"kind": "numeric", "bin_edges": edges, "proportions": bin_proportions(series, edges)}


def test_psi_of_identical_proportions_is_zero_and_of_a_known_pair_matches_the_formula() -> None:
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0
    expected = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert psi([0.5, 0.5], [0.8, 0.2]) == pytest.approx(expected)
    with pytest.raises(ValueError, match="bins"):
        psi([1.0], [0.5, 0.5])


def test_same_distribution_is_about_zero_and_a_shift_of_one_std_is_drift() -> None:
    rng = np.random.default_rng(0)
    baseline = _numeric_baseline(rng.normal(10, 2, 5000))
    same = judged(numeric_drift("x", baseline, pd.Series(rng.normal(10, 2, 2000)), **OPTIONS))
    shifted = judged(numeric_drift("x", baseline, pd.Series(rng.normal(12, 2, 2000)), **OPTIONS))
    assert same.status == "ok" and same.psi is not None and same.psi < 0.02
    assert shifted.status == "drift" and shifted.psi is not None and shifted.psi > 0.2
    assert shifted.n == 2000 and len(shifted.bins) == len(baseline["proportions"])
    assert shifted.test is not None and shifted.test.test == "chi-square (two-sample)" and shifted.test.dof == 9
    assert shifted.p_adjusted is not None and shifted.p_adjusted < 1e-10 and same.p_adjusted > 0.05


def test_too_few_rows_is_not_enough_data_even_when_wildly_shifted() -> None:
    baseline = _numeric_baseline(np.random.default_rng(1).normal(0, 1, 1000))
    result = judged(numeric_drift("x", baseline, pd.Series([50.0] * 99 + [None]), **OPTIONS))
    assert (result.status, result.psi, result.n, result.test, result.p_adjusted) == (
        "not enough data",
        None,
        99,
        None,
        None,
    )


def test_baseline_edges_from_json_with_infinities_bin_values_beyond_the_training_range() -> None:
    baseline = {"kind": "numeric", "bin_edges": [-math.inf, 0.0, math.inf], "proportions": [0.5, 0.5]}
    result = judged(numeric_drift("x", baseline, pd.Series([-1e9] * 50 + [1e9] * 50 + ["not a number"]), **OPTIONS))
    assert result.actual == [0.5, 0.5] and result.status == "ok" and result.psi == pytest.approx(0)


def test_categorical_same_frequencies_are_ok_and_unseen_categories_are_counted_as_drift() -> None:
    frequencies = {"a": 0.5, "b": 0.3, "c": 0.2}
    same = judged(
        categorical_drift("cat", frequencies, pd.Series(["a"] * 50 + ["b"] * 30 + ["c"] * 20), kind="c", **OPTIONS)
    )
    assert same.status == "ok" and same.psi == pytest.approx(0, abs=1e-9)
    live = pd.Series(["a"] * 40 + ["b"] * 25 + ["c"] * 15 + ["d"] * 12 + ["e"] * 8)
    new = judged(categorical_drift("cat", frequencies, live, kind="c", **OPTIONS))
    assert new.unseen == ["d", "e"] and new.bins[-1] == UNSEEN and new.actual[-1] == pytest.approx(0.2)
    assert new.status == "drift" and new.psi is not None and new.psi > 0.2


def test_categorical_values_compare_as_text_like_the_baseline_keys() -> None:
    result = categorical_drift("flag", {"True": 0.5, "False": 0.5}, pd.Series([True, False] * 60), kind="c", **OPTIONS)
    assert result.unseen == [] and result.psi == pytest.approx(0)


def test_prediction_drift_for_labels_and_for_regression_quantiles() -> None:
    labels = {"kind": "labels", "label_distribution": {"no": 0.7, "yes": 0.3}}
    assert judged(prediction_drift(labels, pd.Series(["no"] * 70 + ["yes"] * 30), **PREDICTION)).status == "ok"
    assert judged(prediction_drift(labels, pd.Series(["yes"] * 100), **PREDICTION)).status == "drift"
    levels = [round(level, 2) for level in np.linspace(0, 1, 11)]
    train = np.random.default_rng(2).uniform(0, 100, 5000)
    target = {"kind": "quantiles", "levels": levels, "quantiles": list(np.quantile(train, levels))}
    live = np.random.default_rng(3).uniform(0, 100, 1000)
    assert judged(prediction_drift(target, pd.Series(live), **PREDICTION)).status == "ok"
    assert judged(prediction_drift(target, pd.Series(live + 40), **PREDICTION)).status == "drift"


def test_repeated_quantiles_merge_their_bins() -> None:
    edges, expected = quantile_bins([0, 0.25, 0.5, 0.75, 1], [0.0, 0.0, 1.0, 1.0, 1.0])
    assert edges == [-math.inf, 0.0, math.inf] and expected == pytest.approx([0.25, 0.75])
    edges, expected = quantile_bins([0, 0.5, 1], [1.0, 2.0, 3.0])
    assert edges == [-math.inf, 2.0, math.inf] and expected == pytest.approx([0.5, 0.5])


def test_drift_needs_both_a_significant_test_and_an_effect_above_the_floor() -> None:
    """A 0.05-sd shift in a million rows is certain but negligible: significant, PSI far below the floor."""
    rng = np.random.default_rng(4)
    baseline = _numeric_baseline(rng.normal(0, 1, 200_000))
    tiny = numeric_drift("x", baseline, pd.Series(rng.normal(0.05, 1, 1_000_000)), min_samples=100, rows=200_000)
    assert tiny.test is not None and tiny.test.p_value < 1e-6 and tiny.psi is not None and tiny.psi < 0.01
    assert judged(tiny).status == "ok"
    assert judged(tiny, Settings(min_psi=0.0)).status == "drift"


def test_holm_corrects_over_the_family_so_one_weak_signal_among_many_is_not_drift() -> None:
    rng = np.random.default_rng(5)
    baseline = _numeric_baseline(rng.normal(0, 1, 5000))
    live = [pd.Series(rng.normal(0, 1, 300)) for _ in range(30)]
    family = [numeric_drift(f"x{i}", baseline, values, **OPTIONS) for i, values in enumerate(live)]
    raw = [d.test.p_value for d in family if d.test]
    decided = decide(family, Settings(min_psi=0.0))
    adjusted = [d.p_adjusted or 0.0 for d in decided]
    assert min(adjusted) == pytest.approx(min(1.0, 30 * min(raw)))  # the smallest is Bonferroni's
    assert all(a >= p for a, p in zip(adjusted, raw, strict=True))
    assert all(d.status == "ok" for d in decided)
    # Alone, the most extreme of 30 healthy features can look significant; in its family it does not.
    weakest = family[raw.index(min(raw))]
    assert (min(raw) <= 0.05) == (judged(weakest, Settings(min_psi=0.0)).status == "drift")


def test_an_old_baseline_without_row_count_is_tested_for_goodness_of_fit() -> None:
    baseline = _numeric_baseline(np.random.default_rng(6).normal(0, 1, 5000))
    live = pd.Series(np.random.default_rng(7).normal(0, 1, 500))
    old = numeric_drift("x", baseline, live, min_samples=100, rows=None)
    new = numeric_drift("x", baseline, live, min_samples=100, rows=5000)
    assert old.test is not None and old.test.test == "chi-square (goodness of fit)"
    assert new.test is not None and new.test.statistic < old.test.statistic  # the baseline's own noise allowed for
