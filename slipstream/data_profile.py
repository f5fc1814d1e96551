"""One pass over the data for every figure ValidateData's rules and the data contract need.

The rules, the contract and the report used to ask pandas the same questions column by column (null counts,
the set of values as text, the duplicate rows): at a million rows each repeat cost seconds. `profile` asks each
question once per column, vectorized, and the rules read the answers. Only pandas/numpy: it runs in the Lambda.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Kind = Literal["numeric", "categorical"]


def feature_kind(values: pd.Series) -> Kind:
    # Booleans are "numeric" to pandas, but to a person (and the API) they are one of two values.
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return "numeric" if numeric else "categorical"


@dataclass(frozen=True)
class ColumnProfile:
    dtype: str
    kind: Kind
    nulls: int
    min: float | None  # numeric columns with a value only
    max: float | None
    text_counts: pd.Series | None  # categorical: rows per distinct value, keyed by its text; nulls left out

    @property
    def texts(self) -> set[str]:
        return set(self.text_counts.index) if self.text_counts is not None else set()


@dataclass(frozen=True)
class DataProfile:
    rows: int
    duplicates: int  # rows that repeat an earlier row, every column compared
    columns: dict[str, ColumnProfile]

    @property
    def duplicate_rate(self) -> float:
        return self.duplicates / self.rows if self.rows else 0.0

    def null_rate(self, name: str) -> float:
        return self.columns[name].nulls / self.rows if self.rows else 0.0


def profile(df: pd.DataFrame, text_columns: tuple[str, ...] = ()) -> DataProfile:
    """Figures of every column of `df`; `text_columns` (e.g. a classification target) get text counts too."""
    columns = {str(name): column_profile(df[name], always_text=str(name) in text_columns) for name in df.columns}
    return DataProfile(rows=len(df), duplicates=duplicate_count(df), columns=columns)


def column_profile(values: pd.Series, *, always_text: bool = False) -> ColumnProfile:
    kind = feature_kind(values)
    nulls = int(values.isna().sum())
    low = high = None
    if kind == "numeric" and nulls < len(values):
        low, high = float(values.min()), float(values.max())
    counts = text_counts(values) if kind == "categorical" or always_text else None
    return ColumnProfile(dtype=str(values.dtype), kind=kind, nulls=nulls, min=low, max=high, text_counts=counts)


def text_counts(values: pd.Series) -> pd.Series:
    """Rows per distinct non-null value, keyed by the value's text (1 and "1" are one key, as in the contract).

    Counting first and converting only the distinct values to text keeps it one pass over the rows. Python
    values of mixed types are made text first: to value_counts, True and 1 are the same key.
    """
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = values.where(values.isna(), values.astype(str))
    counts = values.value_counts(dropna=True, sort=False)
    counts = counts[counts > 0]  # a categorical dtype lists its unused categories too
    keys = counts.index.map(str)
    if keys.has_duplicates:
        return counts.groupby(np.asarray(keys, dtype=object), sort=True).sum()
    return pd.Series(counts.to_numpy(), index=pd.Index(keys, dtype=object)).sort_index()


def duplicate_count(df: pd.DataFrame) -> int:
    """Rows equal to an earlier row in every column (nulls equal to nulls, as `DataFrame.duplicated` has it).

    Columns are hashed one at a time (pandas' vectorized 64-bit hash, combined as they come), and after each
    only the rows whose combined hash still repeats stay candidates: a row unique on some columns is unique.
    On real data a few columns leave almost no candidate, so most columns are never hashed in full, and the
    last candidates are compared in full, so a hash collision cannot count as a duplicate.
    """
    candidates = np.arange(len(df))
    combined = np.zeros(len(df), dtype=np.uint64)
    for name in _most_distinct_first(df):
        if len(candidates) < 2:
            return 0
        hashed = pd.util.hash_pandas_object(df[name].iloc[candidates], index=False).to_numpy()
        combined = combined * np.uint64(0x100000001B3) ^ hashed  # FNV-style mixing; uint64 wraps around
        repeats = pd.Series(combined).duplicated(keep=False).to_numpy()
        candidates, combined = candidates[repeats], combined[repeats]
    return int(df.iloc[candidates].duplicated().sum()) if len(candidates) > 1 else 0


def _most_distinct_first(df: pd.DataFrame) -> list[object]:
    # Floats are nearly unique per row, so they drop the most candidates for their hashing cost.
    floats = [name for name in df.columns if pd.api.types.is_float_dtype(df[name])]
    chosen = set(floats)
    return floats + [name for name in df.columns if name not in chosen]
