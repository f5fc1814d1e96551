"""The one-pass profile ValidateData's rules read: the same answers pandas gives when asked column by column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from slipstream import data_profile
from slipstream.data_profile import duplicate_count, profile, text_counts


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [1.0, 1.0, np.nan, np.nan, 2.0, 1.0],
            "n": pd.array([1, 1, None, None, 3, 1], dtype="Int64"),
            "c": ["a", "a", None, None, "b", "b"],
            "k": pd.Categorical(["u", "u", None, None, "v", "u"], categories=["u", "v", "unused"]),
            "flag": [True, True, False, False, True, True],
        }
    )


def test_duplicates_match_pandas_nulls_included() -> None:
    frame = _frame()
    assert duplicate_count(frame) == int(frame.duplicated().sum()) == 2  # rows 1 and 3 repeat rows 0 and 2


def test_duplicates_match_pandas_when_most_rows_repeat() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.integers(0, 3, 500), "b": rng.choice(["x", "y", None], 500)})
    frame["c"] = np.where(rng.random(500) < 0.5, np.nan, rng.integers(0, 2, 500))
    assert duplicate_count(frame) == int(frame.duplicated().sum()) > 400
    assert duplicate_count(frame.drop_duplicates()) == 0


def test_a_hash_collision_is_not_a_duplicate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row hashing alike must still leave only the true repeats counted."""
    frame = _frame()
    monkeypatch.setattr(pd.util, "hash_pandas_object", lambda df, index: pd.Series(np.zeros(len(df), np.uint64)))
    assert duplicate_count(frame) == 2
    assert duplicate_count(frame.iloc[[0, 4, 5]]) == 0


def test_text_counts_key_values_by_their_text() -> None:
    values = pd.Series([1, "1", True, "True", None, np.nan, "b", "a"], dtype=object)
    counts = text_counts(values)
    assert counts.to_dict() == {"1": 2, "True": 2, "a": 1, "b": 1}
    assert list(counts.index) == sorted(counts.index)
    assert text_counts(_frame()["k"]).to_dict() == {"u": 3, "v": 1}  # unused categories are not values seen


def test_profile_figures_per_column() -> None:
    facts = profile(_frame(), text_columns=("flag",))
    assert (facts.rows, facts.duplicates, round(facts.duplicate_rate, 4)) == (6, 2, 0.3333)
    x, n, c = facts.columns["x"], facts.columns["n"], facts.columns["c"]
    assert (x.kind, x.nulls, x.min, x.max, x.text_counts) == ("numeric", 2, 1.0, 2.0, None)
    assert (n.kind, n.dtype, n.nulls, n.min, n.max) == ("numeric", "Int64", 2, 1.0, 3.0)
    assert (c.kind, c.nulls, c.texts) == ("categorical", 2, {"a", "b"})
    assert facts.columns["flag"].kind == "categorical" and facts.columns["flag"].texts == {"True", "False"}
    assert facts.null_rate("k") == pytest.approx(2 / 6)


def test_an_all_null_numeric_column_has_no_extremes() -> None:
    column = data_profile.column_profile(pd.Series([np.nan, np.nan]))
    assert (column.nulls, column.min, column.max) == (2, None, None)
