"""PSI against distributions with known answers, binned exactly as the training baseline was."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from slipstream.baseline import bin_edges, bin_proportions
from slipstream.monitoring.drift import (
    UNSEEN,
    categorical_drift,
    numeric_drift,
    prediction_drift,
    psi,
    quantile_bins,
)

OPTIONS = {"min_samples": 100, "threshold": 0.2}


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
    same = numeric_drift("x", baseline, pd.Series(rng.normal(10, 2, 2000)), **OPTIONS)
    shifted = numeric_drift("x", baseline, pd.Series(rng.normal(12, 2, 2000)), **OPTIONS)
    assert same.status == "ok" and same.psi is not None and same.psi < 0.02
    assert shifted.status == "drift" and shifted.psi is not None and shifted.psi > 0.2
    assert shifted.n == 2000 and len(shifted.bins) == len(baseline["proportions"])


def test_too_few_rows_is_not_enough_data_even_when_wildly_shifted() -> None:
    baseline = _numeric_baseline(np.random.default_rng(1).normal(0, 1, 1000))
    result = numeric_drift("x", baseline, pd.Series([50.0] * 99 + [None]), **OPTIONS)
    assert (result.status, result.psi, result.n) == ("not enough data", None, 99)


def test_baseline_edges_from_json_with_infinities_bin_values_beyond_the_training_range() -> None:
    baseline = {"kind": "numeric", "bin_edges": [-math.inf, 0.0, math.inf], "proportions": [0.5, 0.5]}
    result = numeric_drift("x", baseline, pd.Series([-1e9] * 50 + [1e9] * 50 + ["not a number"]), **OPTIONS)
    assert result.actual == [0.5, 0.5] and result.status == "ok" and result.psi == pytest.approx(0)


def test_categorical_same_frequencies_are_ok_and_unseen_categories_are_counted_as_drift() -> None:
    frequencies = {"a": 0.5, "b": 0.3, "c": 0.2}
    same = categorical_drift("cat", frequencies, pd.Series(["a"] * 50 + ["b"] * 30 + ["c"] * 20), kind="c", **OPTIONS)
    assert same.status == "ok" and same.psi == pytest.approx(0, abs=1e-9)
    live = pd.Series(["a"] * 40 + ["b"] * 25 + ["c"] * 15 + ["d"] * 12 + ["e"] * 8)
    new = categorical_drift("cat", frequencies, live, kind="c", **OPTIONS)
    assert new.unseen == ["d", "e"] and new.bins[-1] == UNSEEN and new.actual[-1] == pytest.approx(0.2)
    assert new.status == "drift" and new.psi is not None and new.psi > 0.2


def test_categorical_values_compare_as_text_like_the_baseline_keys() -> None:
    result = categorical_drift("flag", {"True": 0.5, "False": 0.5}, pd.Series([True, False] * 60), kind="c", **OPTIONS)
    assert result.unseen == [] and result.psi == pytest.approx(0)


def test_prediction_drift_for_labels_and_for_regression_quantiles() -> None:
    labels = {"kind": "labels", "label_distribution": {"no": 0.7, "yes": 0.3}}
    assert prediction_drift(labels, pd.Series(["no"] * 70 + ["yes"] * 30), **OPTIONS).status == "ok"
    assert prediction_drift(labels, pd.Series(["yes"] * 100), **OPTIONS).status == "drift"
    levels = [round(level, 2) for level in np.linspace(0, 1, 11)]
    train = np.random.default_rng(2).uniform(0, 100, 5000)
    target = {"kind": "quantiles", "levels": levels, "quantiles": list(np.quantile(train, levels))}
    live = np.random.default_rng(3).uniform(0, 100, 1000)
    assert prediction_drift(target, pd.Series(live), **OPTIONS).status == "ok"
    assert prediction_drift(target, pd.Series(live + 40), **OPTIONS).status == "drift"


def test_repeated_quantiles_merge_their_bins() -> None:
    edges, expected = quantile_bins([0, 0.25, 0.5, 0.75, 1], [0.0, 0.0, 1.0, 1.0, 1.0])
    assert edges == [-math.inf, 0.0, math.inf] and expected == pytest.approx([0.25, 0.75])
    edges, expected = quantile_bins([0, 0.5, 1], [1.0, 2.0, 3.0])
    assert edges == [-math.inf, 2.0, math.inf] and expected == pytest.approx([0.5, 0.5])
