"""Baseline statistics for drift monitoring: quantile bins, frequencies, label/target distribution."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from slipstream.baseline import baseline_statistics, bin_edges, bin_proportions
from slipstream.config import parse_config
from slipstream.contract import build_contract


def statistics(frame: pd.DataFrame, task: str = "classification") -> dict[str, Any]:
    config = parse_config({"data": {"source": "d.csv", "target": "label", "task": task}}, base_dir=Path("."))
    return baseline_statistics(frame, build_contract(frame, config))


def frame(rows: int = 100) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "size": np.arange(rows, dtype=float),
            "colour": (["red"] * 3 + ["blue"]) * (rows // 4),
            "label": ["yes", "no"] * (rows // 2),
        }
    )


def test_numeric_feature_has_ten_quantile_bins_with_open_outer_edges() -> None:
    size = statistics(frame())["features"]["size"]

    assert size["kind"] == "numeric"
    assert len(size["bin_edges"]) == 11
    assert (size["bin_edges"][0], size["bin_edges"][-1]) == (-math.inf, math.inf)
    assert size["proportions"] == pytest.approx([0.1] * 10)
    assert (size["min"], size["max"], size["mean"], size["null_rate"]) == (0.0, 99.0, 49.5, 0.0)
    assert size["std"] == pytest.approx(np.std(np.arange(100)))


def test_repeated_quantiles_are_deduplicated() -> None:
    edges = bin_edges(pd.Series([1.0] * 50 + [2.0] * 50))

    assert edges == [-math.inf, 1.0, 1.5, 2.0, math.inf]
    assert bin_proportions(pd.Series([1.0] * 50 + [2.0] * 50), edges) == [0.5, 0.0, 0.5, 0.0]


def test_bins_are_right_closed_and_catch_values_past_the_training_range() -> None:
    edges = [-math.inf, 1.0, 2.0, math.inf]

    assert bin_proportions(pd.Series([1.0, 2.0, 1.5, -50.0, 50.0]), edges) == [0.4, 0.4, 0.2]


def test_categorical_feature_has_frequencies_and_null_rate() -> None:
    data = frame()
    data.loc[:9, "colour"] = None

    colour = statistics(data)["features"]["colour"]

    assert colour["kind"] == "categorical"
    assert colour["frequencies"] == pytest.approx({"blue": 23 / 90, "red": 67 / 90})
    assert colour["null_rate"] == 0.1


def test_label_distribution_for_classification() -> None:
    assert statistics(frame())["target"] == {
        "name": "label",
        "kind": "labels",
        "label_distribution": {"no": 0.5, "yes": 0.5},
    }


def test_target_quantiles_for_regression() -> None:
    target = statistics(frame().assign(label=np.arange(100.0)), "regression")["target"]

    assert target["kind"] == "quantiles"
    assert target["levels"][:3] == [0.0, 0.1, 0.2]
    assert (target["quantiles"][0], target["quantiles"][-1]) == (0.0, 99.0)
    assert len(target["quantiles"]) == 11


def test_statistics_are_json_and_never_nan() -> None:
    data = frame(8).assign(single=[5.0] + [np.nan] * 7)  # one value: std is 0, not NaN

    text = json.dumps(statistics(data))

    assert "NaN" not in text
    assert json.loads(text)["features"]["single"]["std"] == 0.0


@pytest.mark.parametrize("inner", [3, 9, 40])  # both ways of counting: per-edge comparisons and a binary search
def test_bin_proportions_are_right_closed_whatever_the_number_of_edges(inner: int) -> None:
    rng = np.random.default_rng(inner)
    edges = [-math.inf, *np.unique(rng.integers(0, 50, inner)).astype(float), math.inf]
    values = np.concatenate([rng.integers(-5, 55, 2000).astype(float), np.asarray(edges[1:-1])])  # ties on edges
    expected = [np.mean((values > low) & (values <= high)) for low, high in itertools.pairwise(edges)]
    assert bin_proportions(values, edges) == pytest.approx(expected, abs=1e-12)
