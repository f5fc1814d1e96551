"""Reading the user's CSV with pyarrow's multi-threaded parser, typed as pandas' own `read_csv` types it.

pandas' C parser is single-threaded and was most of ValidateData at a million rows (14 s of 22 s on this
machine); pyarrow.csv parses the same file in a fraction of that. Its inference differs from pandas' in ways
the data contract would see, so the options below make it agree: pandas' missing-value spellings, only
True/False spellings as booleans (pyarrow also takes 1/0), and no date or time inference (pandas leaves
"2024-01-31" as text unless asked). Missing text is NaN as pandas has it. Whatever pyarrow cannot read the way
pandas would goes to pandas' parser: a header shorter than the rows (pandas makes an index of it), repeated
column names (pandas renames "a.1"), no rows, a column whose type changes after the sample; whole-number float
columns ("+2", 2**63, which pandas keeps as integers) are read again by pandas. One difference is kept: floats
are parsed correctly rounded, where pandas' default parser is often one unit in the last place off (it is not
round-trip exact), so values are the file's to the last bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas._libs.parsers import STR_NA_VALUES
from pyarrow import csv

SAMPLE_BYTES = 1 << 20
_BOOLEANS = {"true_values": ["True", "TRUE", "true"], "false_values": ["False", "FALSE", "false"]}


def read_csv(path: Path) -> pd.DataFrame:
    """`path` as pandas.read_csv(path) reads it (same columns, dtypes and values), parsed by pyarrow."""
    try:
        table = _arrow_table(path)
    except (pa.ArrowInvalid, ValueError):  # a layout only pandas' parser handles, or one it reports best
        return pd.read_csv(path)
    if table.num_rows == 0 or len(set(table.column_names)) != len(table.column_names):
        return pd.read_csv(path)
    frame = _as_pandas(table)
    whole = _integral_floats(frame)
    if whole:  # "+2" or 2**63: pyarrow gives up on integers where pandas keeps them (int64, uint64)
        frame[whole] = pd.read_csv(path, usecols=whole)[whole]
    return frame


def _arrow_table(path: Path) -> pa.Table:
    """The file typed as its first SAMPLE_BYTES suggest: inferring every block's types was half of pyarrow's parse.
    A later row that does not fit (integers in the sample, "1.5" further down) raises ArrowInvalid, and the
    file goes to pandas, whose chunked inference types such a column in its own way (mixed values)."""
    types = _sample_types(path)
    table = csv.read_csv(path, convert_options=_options(types))
    temporal = {field.name: pa.string() for field in table.schema if pa.types.is_temporal(field.type)}
    if not temporal:  # dates in a column empty throughout the sample
        return table
    return csv.read_csv(path, convert_options=_options({**types, **temporal}))


def _sample_types(path: Path) -> dict[str, pa.DataType]:
    with csv.open_csv(path, read_options=csv.ReadOptions(block_size=SAMPLE_BYTES), convert_options=_options({})) as r:
        schema = r.schema
    # A column empty throughout the sample has no type yet: the full read infers it.
    return {
        field.name: pa.string() if pa.types.is_temporal(field.type) else field.type
        for field in schema
        if not pa.types.is_null(field.type)
    }


def _options(types: dict[str, pa.DataType]) -> csv.ConvertOptions:
    return csv.ConvertOptions(
        column_types=types, null_values=sorted(STR_NA_VALUES), strings_can_be_null=True, **_BOOLEANS
    )


def _integral_floats(frame: pd.DataFrame) -> list[str]:
    """Float columns without a missing value whose values are all whole numbers: pandas may type them int."""
    return [name for name in frame.columns if frame[name].dtype == np.float64 and _whole(frame[name].to_numpy())]


def _whole(values: np.ndarray) -> bool:
    return bool(np.isfinite(values).all() and (values == np.floor(values)).all())  # NaN or inf: pandas says float


def _as_pandas(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas()
    for field in table.schema:
        if pa.types.is_null(field.type):  # every value missing: pandas makes it a float column of NaN
            frame[field.name] = np.full(len(frame), np.nan)
        elif frame[field.name].dtype == object and table.column(field.name).null_count:
            values = frame[field.name].to_numpy(copy=True)
            values[pd.isna(values)] = np.nan  # pyarrow's None; pandas marks missing text with NaN
            frame[field.name] = values
    return frame
