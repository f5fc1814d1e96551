"""The batch scorer's plumbing: outputs appear whole or not at all; reader and writer threads hand their
errors back to the scoring thread and stop when it does."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from batch_outputs import Outputs, labels, output_schema
from batch_threads import Background, prefetched

METADATA = {"task": "classification", "classes": ["benign", "malignant"]}


def _outputs(tmp_path: Path, parquet: bool) -> Outputs:
    schema = output_schema(pa.schema([pa.field("patient", pa.string())]), METADATA, probabilities=True)
    suffix = ".parquet" if parquet else ".csv"
    return Outputs(tmp_path / f"out{suffix}", tmp_path / "out.rejects.csv", schema, parquet)


def _write(outputs: Outputs) -> None:
    columns = {
        "prediction": labels(np.array([1, 0]), ["benign", "malignant"]),
        "probability_benign": pa.array([0.2, 0.9]),
        "probability_malignant": pa.array([0.8, 0.1]),
    }
    outputs.write(np.array([1, 3]), pa.table({"patient": ["a", "c"]}), columns, "7")
    outputs.reject([{"row": 2, "field": "mean radius", "reason": "expected a number, got 'x'"}])


@pytest.mark.parametrize("parquet", [True, False], ids=["parquet", "csv"])
def test_outputs_appear_only_on_commit(tmp_path: Path, parquet: bool) -> None:
    outputs = _outputs(tmp_path, parquet)
    _write(outputs)
    assert [p.name.startswith(".") for p in tmp_path.iterdir()] == [True, True]  # only the hidden partial files
    outputs.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([outputs.output.name, "out.rejects.csv"])
    if parquet:
        table = pq.read_table(outputs.output).to_pylist()
        assert table[0] == {
            "row": 1, "patient": "a", "prediction": "malignant", "probability_benign": 0.2,
            "probability_malignant": 0.8, "model_version": "7",
        }  # fmt: skip
    assert outputs.rejected_rows == 1


def test_discarded_outputs_leave_nothing(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path, parquet=True)
    _write(outputs)
    outputs.discard()
    assert list(tmp_path.iterdir()) == []


def test_the_readers_error_is_raised_in_the_scoring_thread() -> None:
    def items():
        yield 1
        raise ValueError("bad block")

    seen = []
    with pytest.raises(ValueError, match="bad block"):
        for item in prefetched(items()):
            seen.append(item)
    assert seen == [1]


def test_stopping_early_stops_the_reader() -> None:
    produced = []

    def items():
        for i in range(1000):
            produced.append(i)
            yield i

    for item in prefetched(items(), depth=2):
        if item == 3:
            break
    assert len(produced) < 10
    assert not [t for t in threading.enumerate() if t.name == "batch-reader"]


def test_a_failed_write_surfaces_when_the_writer_is_closed() -> None:
    writer, done = Background(), []

    def fail() -> None:
        raise OSError("disk full")

    writer.submit(done.append, 1)
    writer.submit(fail)
    with pytest.raises(OSError, match="disk full"):
        writer.close()
    assert done == [1]
