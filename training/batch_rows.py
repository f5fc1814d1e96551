"""The rows of a file to score, read in chunks and checked with the prediction API's rules, column by column.

Runs inside AWS's scikit-learn image (standard library, numpy, pandas, pyarrow): the same code checks a file
for `slipstream predict` and for the batch job on AWS. The rules are /predict's request model
(lambdas/predict/schema.py `instance_model`), which needs pydantic, which the image does not have; so they are
restated here for whole columns, and tests/unit/batch/test_batch_rules.py holds the two to the same answers.
  - every contract feature is a column (other columns are ignored, or passed through as ids);
  - numeric: a number, finite, within OUTLANDISH training ranges of the contract's min/max; empty or NaN
    means missing (the model imputes), as null does in a request;
  - categorical: any text (numbers in a typed file become their text, as training makes them); empty means missing.
Row numbers count data rows from 1 (a CSV's header line is not a row), so row N of a CSV is line N + 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sm_paths import JobError

OUTLANDISH = 1000  # lambdas/predict/schema.py's OUTLANDISH: how many training ranges beyond min/max are allowed
CSV_BLOCK_BYTES = 8 << 20


class CarefulRead(Exception):
    """A CSV value the fast typed read cannot convert: the file is read again with per-cell checks."""


@dataclass
class Chunk:
    """One chunk's good rows, typed as inference.py types a request, and every problem of its bad rows."""

    frame: pd.DataFrame
    ids: pa.Table
    rows: np.ndarray  # the good rows' numbers
    problems: list[dict[str, Any]] = field(default_factory=list)  # {"row", "field", "reason"}
    block: np.ndarray | None = None  # all numeric: the frame's column-major float64 block, the model's input


def limits(feature: dict[str, Any]) -> tuple[float, float] | None:
    """The accepted range of a numeric feature: schema._bounds, the same formula."""
    low, high = feature.get("min"), feature.get("max")
    if feature["kind"] != "numeric" or low is None or high is None:
        return None
    span = max(high - low, abs(high), abs(low), 1.0)
    return low - OUTLANDISH * span, high + OUTLANDISH * span


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".parquet", ".pq"):
        return "csv" if suffix == ".csv" else "parquet"
    raise JobError(f"{path.name}: unknown file type {suffix or '(none)'!r}; use .csv or .parquet")


def check_columns(present: list[str], features: list[dict[str, Any]], ids: list[str], where: str) -> None:
    missing = [f["name"] for f in features if f["name"] not in present]
    missing_ids = [name for name in ids if name not in present]
    if missing or missing_ids:
        parts = [f"features {', '.join(missing)}"] if missing else []
        parts += [f"id columns {', '.join(missing_ids)}"] if missing_ids else []
        raise JobError(f"{where} lacks {'; '.join(parts)} (it has: {', '.join(present[:40])})")


def _numeric(column: pa.Array | pa.ChunkedArray, feature: dict[str, Any]) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """float64 values (NaN for missing) and (position, reason) of every value the API would refuse."""
    problems: list[tuple[int, str]] = []
    if pa.types.is_boolean(column.type):
        values = np.full(len(column), np.nan)
        listed = enumerate(column.to_pylist())
        problems += [(i, f"expected a number, got {str(v).lower()}") for i, v in listed if v is not None]
    elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        values, problems = _parse_numbers(column)
    else:  # a float64 column without nulls is a view of Arrow's buffer; integers and nulls (NaN) convert
        values = column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    bounds = limits(feature)
    problems += [(int(i), _refused(values[i], feature, bounds)) for i in _flagged(values, bounds)]
    return values, problems


def _flagged(values: np.ndarray, bounds: tuple[float, float] | None) -> np.ndarray:
    """Positions of the infinite values, or of those outside finite bounds (inf among them). A column's min and
    max settle a clean one in two passes without temporaries; they are NaN when a value is missing, and then
    every value is compared (comparisons are false for NaN, true for inf beyond finite bounds)."""
    if len(values) == 0:
        return np.empty(0, dtype=np.intp)
    smallest, largest = values.min(), values.max()
    if bounds is None:
        if -np.inf < smallest and largest < np.inf:
            return np.empty(0, dtype=np.intp)
        return np.flatnonzero(np.isinf(values))
    if bounds[0] <= smallest and largest <= bounds[1]:
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero((values < bounds[0]) | (values > bounds[1]))


def _refused(value: float, feature: dict[str, Any], bounds: tuple[float, float] | None) -> str:
    if np.isinf(value) or bounds is None:
        return f"expected a finite number, got {value}"
    return _outside(value, feature, bounds)


def _outside(value: float, feature: dict[str, Any], bounds: tuple[float, float]) -> str:
    return (
        f"{value:g} is outside {bounds[0]:g} to {bounds[1]:g} ({OUTLANDISH} training ranges around "
        f"{feature['min']:g} to {feature['max']:g}): a unit error or garbage"
    )


def _parse_numbers(column: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[tuple[int, str]]]:
    text = pc.utf8_trim_whitespace(column)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    try:
        return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), []
    except pa.ArrowInvalid:
        pass  # some cell is not a number: find which, cell by cell (only for columns that have one)
    raw = text.to_pylist()
    values = np.full(len(raw), np.nan)
    problems = []
    for i, cell in enumerate(raw):
        if cell is None:
            continue
        try:
            values[i] = float(cell)
        except ValueError:
            problems.append((i, f"expected a number, got {cell!r}"))
    return values, problems


def _categorical(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
    values = np.asarray(text.to_pylist(), dtype=object)
    missing = np.fromiter((v is None or v == "" for v in values), bool, len(values))
    values[missing] = np.nan  # inference.py's _as_category: NaN marks missing
    return values


def check_chunk(batch: pa.RecordBatch, numbers: np.ndarray, features: list[dict[str, Any]], ids: list[str]) -> Chunk:
    """Type the chunk's features and split its rows (numbered `numbers`) into good ones and problems."""
    columns: dict[str, np.ndarray] = {}
    problems: list[tuple[int, str, str]] = []
    for feature in features:
        column = batch.column(feature["name"])
        if feature["kind"] == "categorical":
            columns[feature["name"]] = _categorical(column)
            continue
        columns[feature["name"]], found = _numeric(column, feature)
        problems += [(i, feature["name"], reason) for i, reason in found]
    good = np.ones(batch.num_rows, dtype=bool)
    good[[i for i, _, _ in problems]] = False
    listed = [{"row": int(numbers[i]), "field": name, "reason": reason} for i, name, reason in sorted(problems)]
    id_table = pa.Table.from_batches([batch.select(ids)]) if ids else pa.table({})
    if problems:
        columns = {name: values[good] for name, values in columns.items()}
        id_table, numbers = id_table.filter(pa.array(good)) if ids else id_table, numbers[good]
    block = _block(columns)
    names = list(columns)
    frame = pd.DataFrame(columns, columns=names) if block is None else pd.DataFrame(block, columns=names, copy=False)
    return Chunk(frame=frame, ids=id_table, rows=numbers, problems=listed, block=block)


def _block(columns: dict[str, np.ndarray]) -> np.ndarray | None:
    """All numeric: one column-major float64 block, each column one contiguous copy, which pandas wraps without
    copying (a dict of columns is copied again to consolidate them, and a row-major block is filled with strided
    writes). The model may overwrite it (batch_model.work_in_place): it is this chunk's own."""
    if not all(values.dtype == np.float64 for values in columns.values()):
        return None
    first = next(iter(columns.values()), np.empty(0))
    block = np.empty((len(first), len(columns)), dtype=np.float64, order="F")
    for index, values in enumerate(columns.values()):
        block[:, index] = values
    return block


def read_parquet(path: Path, names: list[str], rows: int) -> Iterator[tuple[pa.RecordBatch, np.ndarray, int]]:
    """(batch, its rows' numbers, bytes read so far, approximately) over the file; only the columns we need."""
    # Memory-mapped: pages are decoded straight from the mapping; buffered reads copy every page once more first,
    # which took about half the reading CPU (measured on 1M x 31 float64).
    source = pq.ParquetFile(path, memory_map=True)
    total, size = max(source.metadata.num_rows, 1), path.stat().st_size
    seen = 0
    for batch in source.iter_batches(batch_size=rows, columns=names):
        yield batch, np.arange(seen + 1, seen + 1 + batch.num_rows), math.ceil(size * (seen + batch.num_rows) / total)
        seen += batch.num_rows


def parquet_columns(path: Path) -> list[str]:
    try:
        return list(pq.ParquetFile(path).schema_arrow.names)
    except (pa.ArrowInvalid, OSError) as error:
        raise JobError(f"{path.name} is not a readable Parquet file: {error}") from None
