"""The batch scorer's row rules (training/batch_rows.py, no pydantic: it runs in the image) against /predict's
request model (lambdas/predict/schema.py): every value either accepts, the other must accept too."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from batch_rows import check_chunk, limits
from pydantic import ValidationError

from lambdas.predict.schema import ContractFeature, ServingContract, instance_model

CONTRACT = ServingContract(
    target="y",
    task="classification",
    labels=["a", "b"],
    features=[
        ContractFeature(name="mean radius", kind="numeric", min=6.9, max=28.1),
        ContractFeature(name="tiny", kind="numeric", min=0.0, max=0.001),
        ContractFeature(name="colour", kind="categorical", categories=["red", "blue"]),
    ],
)
FEATURES = [f.model_dump() for f in CONTRACT.features]
DEFAULTS: dict[str, Any] = {"mean radius": 10.0, "tiny": 0.0005, "colour": "red"}


def _edges(feature: dict[str, Any]) -> list[Any]:
    low, high = limits(feature)  # type: ignore[misc]
    return [low, high, low - 1e-6 * abs(low), high + 1e-6 * abs(high), math.nextafter(high, math.inf), 0, -3, 17.5]


NUMERIC_VALUES = [None, math.inf, -math.inf, 1e300, -1e300, *_edges(FEATURES[0])]
TINY_VALUES = [*_edges(FEATURES[1]), 1.0, 2.0, -0.5]


def api_accepts(field: str, value: Any) -> bool:
    try:
        instance_model(CONTRACT).model_validate({**DEFAULTS, field: value})
    except ValidationError:
        return False
    return True


def batch_accepts(field: str, values: list[Any], as_text: bool) -> list[bool]:
    """As a typed column (Parquet, the fast CSV read) and as text (the careful CSV read)."""
    columns = {name: [default] * len(values) for name, default in DEFAULTS.items()}
    columns[field] = values
    if as_text:
        columns[field] = ["" if v is None else repr(float(v)) for v in values]
    batch = pa.RecordBatch.from_pydict(columns)
    chunk = check_chunk(batch, np.arange(1, len(values) + 1), FEATURES, [])
    bad = {p["row"] for p in chunk.problems}
    return [row not in bad for row in range(1, len(values) + 1)]


@pytest.mark.parametrize("as_text", [False, True], ids=["typed", "text"])
@pytest.mark.parametrize(("field", "values"), [("mean radius", NUMERIC_VALUES), ("tiny", TINY_VALUES)])
def test_numeric_rules_match_the_api(field: str, values: list[Any], as_text: bool) -> None:
    expected = [api_accepts(field, v) for v in values]
    assert batch_accepts(field, values, as_text) == expected
    assert not all(expected) and any(expected)  # both sides of the line are tried


def test_text_that_is_not_a_number_is_refused_with_its_value() -> None:
    batch = pa.RecordBatch.from_pydict({"mean radius": ["12", "abc", ""], "tiny": ["0"] * 3, "colour": ["x"] * 3})
    chunk = check_chunk(batch, np.array([5, 6, 7]), FEATURES, [])
    assert chunk.problems == [{"row": 6, "field": "mean radius", "reason": "expected a number, got 'abc'"}]
    assert list(chunk.rows) == [5, 7] and math.isnan(chunk.frame["mean radius"].iloc[1])


def test_booleans_are_not_numbers_as_in_the_api() -> None:
    assert not api_accepts("mean radius", True)
    batch = pa.RecordBatch.from_pydict({"mean radius": [True, None], "tiny": [0.0] * 2, "colour": ["x"] * 2})
    chunk = check_chunk(batch, np.array([1, 2]), FEATURES, [])
    assert [p["row"] for p in chunk.problems] == [1]


def test_categories_are_text_and_empty_means_missing() -> None:
    batch = pa.RecordBatch.from_pydict({"mean radius": [1.0] * 3, "tiny": [0.0] * 3, "colour": ["red", "", None]})
    chunk = check_chunk(batch, np.array([1, 2, 3]), FEATURES, [])
    assert chunk.problems == []
    assert chunk.frame["colour"].iloc[0] == "red" and chunk.frame["colour"].isna().tolist() == [False, True, True]
    assert api_accepts("colour", None) and api_accepts("colour", "green")


@pytest.mark.parametrize("values", [[1.0, math.inf, None], [-math.inf, 2.0], [None, 3.0, -math.inf, 1e308]])
def test_a_feature_without_a_range_refuses_only_infinity(values: list[Any]) -> None:
    """Infinity found with and without missing values in the column (the clean-column shortcut must not hide it)."""
    unbounded = [{"name": "free", "kind": "numeric"}]
    chunk = check_chunk(pa.RecordBatch.from_pydict({"free": values}), np.arange(1, len(values) + 1), unbounded, [])
    assert [p["row"] for p in chunk.problems] == [i + 1 for i, v in enumerate(values) if v in (math.inf, -math.inf)]
    assert all(p["reason"].startswith("expected a finite number") for p in chunk.problems)
