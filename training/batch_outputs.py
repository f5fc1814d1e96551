"""The batch job's files: predictions and rejects written beside their final names and moved there only at the
end, so a failed or interrupted run leaves no half-written output (a rerun starts clean).

Runs inside AWS's scikit-learn image (standard library, numpy, pyarrow).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

REJECT_FIELDS = ("row", "field", "reason")
LABELS = pa.dictionary(pa.int32(), pa.string())


def output_schema(ids: pa.Schema, metadata: dict[str, Any], probabilities: bool) -> pa.Schema:
    """row, the id columns, prediction, probability_<class> per class (classifiers), model_version."""
    classification = metadata["task"] == "classification"
    fields = [pa.field("row", pa.int64()), *ids]
    fields.append(pa.field("prediction", LABELS if classification else pa.float64()))
    if probabilities:
        fields += [pa.field(f"probability_{c}", pa.float64()) for c in metadata["classes"]]
    fields.append(pa.field("model_version", LABELS))
    return pa.schema(fields)


def labels(indices: np.ndarray, names: list[str]) -> pa.DictionaryArray:
    """Text columns of a few distinct values as indices into them: ~50x cheaper than a million Python strings,
    and Parquet stores them dictionary-encoded anyway (CSV writes the text)."""
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(names, pa.string()))


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial-{os.getpid()}")


class Outputs:
    """Predictions (CSV or Parquet, by the output's suffix) and the rejects CSV, committed together."""

    def __init__(self, output: Path, rejects: Path, schema: pa.Schema, parquet: bool) -> None:
        self.output, self.rejects, self.schema, self.parquet = output, rejects, schema, parquet
        self._open()

    def _open(self) -> None:
        for path in (self.output, self.rejects):
            path.parent.mkdir(parents=True, exist_ok=True)
        sink = str(_partial(self.output))
        self.writer: Any = self._parquet(sink) if self.parquet else pacsv.CSVWriter(sink, self.schema)
        self._rejects_file = _partial(self.rejects).open("w", encoding="utf-8", newline="")
        self._rejects = csv.DictWriter(self._rejects_file, fieldnames=REJECT_FIELDS)
        self._rejects.writeheader()
        self.rejected_rows = 0

    def _parquet(self, sink: str) -> pq.ParquetWriter:
        # Dictionary pages only for the label columns: tried on a million distinct probabilities, row numbers
        # or ids, they fill up and are thrown away, and that took three quarters of the writing time.
        labelled = [f.name for f in self.schema if pa.types.is_dictionary(f.type)]
        # Probabilities are random mantissas: Snappy saved 2-3% of their bytes for a fifth of the writing time.
        # The row numbers, ids and labels keep it (it halves sequential integers).
        compression = {f.name: "none" if f.name.startswith("probability_") else "snappy" for f in self.schema}
        return pq.ParquetWriter(sink, self.schema, use_dictionary=labelled, compression=compression)

    def write(self, rows: np.ndarray, ids: pa.Table, columns: dict[str, Any], version: str | None) -> None:
        arrays: dict[str, Any] = {"row": pa.array(rows, pa.int64())}
        # A CSV id column that is also a numeric feature was read as numbers: the output keeps the text type.
        arrays.update({name: ids.column(name).cast(self.schema.field(name).type) for name in ids.column_names})
        arrays.update(columns)
        arrays["model_version"] = labels(np.zeros(len(rows), np.int32), [version or ""])
        self.writer.write_table(pa.table(arrays, schema=self.schema))

    def reject(self, problems: list[dict[str, Any]]) -> None:
        self._rejects.writerows(problems)
        self.rejected_rows += len({p["row"] for p in problems})

    def discard(self) -> None:
        self._close()
        for path in (self.output, self.rejects):
            _partial(path).unlink(missing_ok=True)

    def restart(self) -> None:
        self.discard()
        self._open()

    def commit(self) -> None:
        self._close()
        os.replace(_partial(self.output), self.output)
        os.replace(_partial(self.rejects), self.rejects)

    def _close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if not self._rejects_file.closed:
            self._rejects_file.close()
