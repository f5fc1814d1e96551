"""Streaming a CSV file to score: typed and fast when every value converts, text and checked cell by cell if not.

The fast read parses numeric features straight to float64 (pyarrow's C++ reader, on every core); a value it
cannot convert, or a line with the wrong number of values, raises CarefulRead and the caller starts again with
every feature read as text, so a clean file never pays for the checks a messy one needs. The careful read skips
a malformed line and reports it with its row number, on one thread: pyarrow knows a skipped line's number only
when it reads in order.
"""

from __future__ import annotations

import csv
import threading
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
        self._lock = threading.Lock()  # pyarrow may call the handler on its own threads

    def __call__(self, row: Any) -> str:
        number = int(row.number) - 1  # the physical line, the header being line 1
        values = row.actual_columns
        with self._lock:
            self.rows.append(number)
            reason = f"expected {self.expected} values, got {values}"
            self.problems.append({"row": number, "field": "", "reason": reason})
        return "skip"

    def take(self, through: int | None = None) -> list[dict[str, Any]]:
        """The lines kept so far, or only those up to row `through`: the parser may already be past the batch
        being numbered, and a later batch's lines belong with it (so the rejects file lists rows in order)."""
        with self._lock:
            taken = [p for p in self.problems if through is None or p["row"] <= through]
            self.problems = [p for p in self.problems if through is not None and p["row"] > through]
        return taken

    def numbers(self, start: int, count: int) -> np.ndarray:
        """Row numbers of good rows start..start+count-1 (0-based among good rows), skipping the malformed ones."""
        with self._lock:
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
) -> Iterator[tuple[pa.RecordBatch, np.ndarray, int, list[dict[str, Any]]]]:
    """(batch, its rows' numbers, bytes read, the malformed lines before its last row): every malformed line
    before a batch's rows is known once it is read."""
    good = 0
    for batch in batches:
        numbers = malformed.numbers(good, batch.num_rows)
        yield batch, numbers, handle.tell(), malformed.take(int(numbers[-1])) if len(numbers) else []
        good += batch.num_rows


@contextmanager
def _read_errors(careful: bool) -> Iterator[None]:
    try:
        yield
    except pa.ArrowInvalid as error:
        if not careful and ("conversion error to double" in str(error) or "parse error" in str(error)):
            raise CarefulRead(str(error)) from None
        raise JobError(f"cannot read the CSV file: {error}") from None
