"""The train/test split files ValidateData hands to Train and Evaluate: Parquet, so the dtypes travel with the rows.

CSV loses what the data contract was built on: a nullable integer comes back as float, a text column of digits
("02134") as a number, and every value is printed and parsed again (the slow part at a million rows). Parquet keeps
the column types and is written in a fraction of the time. The SageMaker image and the ValidateData Lambda's
layer (AWS SDK for pandas) both ship pyarrow. CSV stays accepted as the user's *input* (slipstream/dataset.py).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from slipstream.errors import DataError

# Object columns pyarrow stores as they are; any other mix of Python values (numbers and text, decimals, dates,
# ...) is written as text, which is what a CSV round trip made of it and what the contract compares it as.
_ARROW_OBJECTS = frozenset({"string", "empty", "boolean", "bytes"})


def to_parquet(frame: pd.DataFrame) -> bytes:
    """The split as one Parquet file (no index: row order is the order; column names as text)."""
    buffer = io.BytesIO()
    try:
        arrow_ready(frame).to_parquet(buffer, index=False, engine="pyarrow")
    except (TypeError, ValueError) as error:  # pyarrow's ArrowTypeError/ArrowInvalid derive from these
        raise DataError(f"the split cannot be written as Parquet: {error}") from None
    return buffer.getvalue()


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_parquet(frame))


def arrow_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with text column names and every object column of one Arrow type (copied only if needed)."""
    renamed = frame.rename(columns=str) if any(not isinstance(name, str) for name in frame.columns) else frame
    mixed = [
        name
        for name in renamed.columns
        if renamed[name].dtype == object and pd.api.types.infer_dtype(renamed[name], skipna=True) not in _ARROW_OBJECTS
    ]
    if not mixed:
        return renamed
    return renamed.assign(**{name: _as_text(renamed[name]) for name in mixed})


def _as_text(values: pd.Series) -> pd.Series:
    return values.where(values.isna(), values.astype(str))
