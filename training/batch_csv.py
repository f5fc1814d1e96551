"""Streaming a CSV file to score: typed and fast when every value converts, text and checked cell by cell if not.

The fast read parses numeric features straight to float64 (pyarrow's C++ reader, on every core); a value it
cannot convert, or a line with the wrong number of values, raises CarefulRead and the caller starts again with
every feature read as text, so a clean file never pays for the checks a messy one needs. The careful read skips
a malformed line and reports it with its row number, on one thread: pyarrow knows a skipped line's number only
when it reads in order.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from batch_rows import CSV_BLOCK_BYTES, CarefulRead
from sm_paths import JobError


def header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [name.strip() for name in next(csv.reader(handle), [])]
    except UnicodeDecodeError:
        raise JobError(f"{path.name} is not UTF-8 text") from None


class MalformedLines:
    """The reader's invalid-row handler: every line with the wrong number of values, kept as a problem."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.rows: list[int] = []
        self.problems: list[dict[str, Any]] = []

    def __call__(self, row: Any) -> str:
        number = int(row.number) - 1  # the physical line, the header being line 1
        values = row.actual_columns
        self.rows.append(number)
        self.problems.append({"row": number, "field": "", "reason": f"expected {self.expected} values, got {values}"})
        return "skip"

    def take(self) -> list[dict[str, Any]]:
        taken, self.problems = self.problems, []
        return taken

    def numbers(self, start: int, count: int) -> np.ndarray:
        """Row numbers of good rows start..start+count-1 (0-based among good rows), skipping the malformed ones."""
        skipped = np.sort(np.asarray(self.rows, dtype=np.int64))
        good_before = skipped - 1 - np.arange(len(skipped))  # how many good rows precede each skipped one
        good = np.arange(start, start + count)
        return good + 1 + np.searchsorted(good_before, good, side="right")


def read_csv(
    handle: BinaryIO, names: list[str], numeric: list[str], careful: bool, malformed: MalformedLines
) -> Iterator[pa.RecordBatch]:
    """Batches of the needed columns: numeric features as float64 (fast) or as text (careful), the rest text."""
    types = {name: pa.string() for name in names}
    if not careful:
        types.update({name: pa.float64() for name in numeric})
    with _read_errors(careful):  # the reader converts its first block as it opens
        reader = pacsv.open_csv(
            handle,
            # Fast: every core, and any malformed line sends us to the careful read, which names it.
            read_options=pacsv.ReadOptions(use_threads=not careful, block_size=CSV_BLOCK_BYTES, encoding="utf8"),
            parse_options=pacsv.ParseOptions(invalid_row_handler=malformed if careful else None),
            convert_options=pacsv.ConvertOptions(
                include_columns=names, column_types=types, null_values=[""], strings_can_be_null=True
            ),
        )
    while True:
        with _read_errors(careful):
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
        yield batch


def numbered(
    batches: Iterable[pa.RecordBatch], malformed: MalformedLines, handle: BinaryIO
) -> Iterator[tuple[pa.RecordBatch, np.ndarray, int]]:
    """(batch, its rows' numbers, bytes read): every malformed line before a batch's rows is known once it is read."""
    good = 0
    for batch in batches:
        yield batch, malformed.numbers(good, batch.num_rows), handle.tell()
        good += batch.num_rows


@contextmanager
def _read_errors(careful: bool) -> Iterator[None]:
    try:
        yield
    except pa.ArrowInvalid as error:
        if not careful and ("conversion error to double" in str(error) or "parse error" in str(error)):
            raise CarefulRead(str(error)) from None
        raise JobError(f"cannot read the CSV file: {error}") from None
