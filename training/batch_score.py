"""Score a CSV or Parquet file with a model: the one batch scorer of `slipstream predict` and of the batch
processing job on AWS (docs/batch.md).

Runs inside AWS's scikit-learn image, beside inference.py in the sourcedir: the model is loaded by inference.py's
model_fn and scored as its predict() scores a request (batch_model.py), on chunks typed the way
its request parser types them; rows are checked with /predict's rules (batch_rows.py). Writes the predictions
(row, id columns, prediction, probability_<class>, model_version), a rejects CSV (row, field, reason) and a
summary JSON; with --progress, one JSON line per chunk on stdout ({"rows", "bytes", "total_bytes"}).
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from batch_csv import MalformedLines, header, numbered, read_csv
from batch_model import features_of, load_model, predict
from batch_outputs import Outputs, output_schema
from batch_rows import CarefulRead, Chunk, check_chunk, check_columns, file_format, parquet_columns, read_parquet
from batch_threads import Background, prefetched
from sm_paths import JobArgumentParser, JobError, parse_json_flag, run_job, write_json
from threadpoolctl import threadpool_limits

LISTED_PROBLEMS = 10
Read = tuple[pa.RecordBatch, np.ndarray, int, list[dict[str, Any]]]  # batch, its row numbers, bytes, malformed lines


def parse_args(argv: list[str]) -> Any:
    parser = JobArgumentParser(description=__doc__)
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--model", type=Path, required=True, help="model folder, or a folder with model.tar.gz")
    parser.add_argument("--contract", type=Path, required=True, help="contract.json: the features' ranges")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--rejects", type=Path, required=True)
    parser.add_argument("--summary", type=Path, required=True)
    parser.add_argument("--on-bad-row", choices=("skip", "fail"), default="skip")
    parser.add_argument("--id-columns", default="[]", help="JSON list of columns copied to the output")
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    args.id_columns = [str(name) for name in parse_json_flag("id-columns", args.id_columns, list)]
    return args


def single_file(path: Path) -> Path:
    """A processing job's input is a folder: the one data file in it."""
    if path.is_file():
        return path
    found = sorted(p for p in path.glob("*") if p.is_file()) if path.is_dir() else []
    if len(found) != 1:
        raise JobError(f"expected one input file at {path}, found {len(found)}")
    return found[0]


class Scoring:
    """One pass over the input; counts what it saw."""

    def __init__(self, args: Any, model: dict[str, Any], features: list[dict[str, Any]], outputs: Outputs) -> None:
        self.args, self.model, self.features, self.outputs = args, model, features, outputs
        self.rows_read = self.rows_scored = self.problems = 0
        self.size = args.input.stat().st_size
        self.writer = Background()

    def chunk(self, read: int, checked: Chunk, malformed: list[dict[str, Any]], done: int) -> None:
        """Score one checked chunk of `read` well-formed rows (and `malformed` lines) and hand it to the writer."""
        problems = sorted(malformed + checked.problems, key=lambda p: p["row"])
        if problems and self.args.on_bad_row == "fail":
            listed = "; ".join(f"row {p['row']}{_field(p)}: {p['reason']}" for p in problems[:LISTED_PROBLEMS])
            raise JobError(f"bad rows (on_bad_row = fail): {listed}")
        self.outputs.reject(problems)
        self.problems += len(problems)
        if len(checked.frame):
            columns = predict(self.model, checked)
            self.writer.submit(self.outputs.write, checked.rows, checked.ids, columns, self.model.get("model_version"))
        self.rows_read += read + len(malformed)
        self.rows_scored += len(checked.frame)
        if self.args.progress:
            print(json.dumps({"rows": self.rows_read, "bytes": done, "total_bytes": self.size}), flush=True)

    def checked(self, batches: Iterable[Read]) -> Iterator[tuple[int, Chunk, list[dict[str, Any]], int]]:
        """(rows, the checked chunk, the malformed lines among or just before them, bytes read) per batch. Run on
        the reading thread: the checks then overlap the previous chunk's scoring instead of adding to it (numpy
        releases the GIL)."""
        for batch, numbers, done, malformed in batches:
            yield batch.num_rows, check_chunk(batch, numbers, self.features, self.args.id_columns), malformed, done

    def csv(self, careful: bool) -> None:
        malformed = MalformedLines(len(header(self.args.input)))
        names = [f["name"] for f in self.features] + [c for c in self.args.id_columns if c not in self.features]
        numeric = [f["name"] for f in self.features if f["kind"] == "numeric"]
        with self.args.input.open("rb") as handle:
            batches = read_csv(handle, list(dict.fromkeys(names)), numeric, careful, malformed)
            for read, checked, lines, done in prefetched(self.checked(numbered(batches, malformed, handle))):
                self.chunk(read, checked, lines, done)
            self.chunk_tail(malformed)

    def chunk_tail(self, malformed: MalformedLines) -> None:
        """Malformed lines after the last good row are reported too."""
        rest = malformed.take()
        if rest:
            empty = pa.RecordBatch.from_pylist([], schema=self._empty_schema())
            self.chunk(0, check_chunk(empty, np.array([], int), self.features, self.args.id_columns), rest, self.size)

    def _empty_schema(self) -> pa.Schema:
        fields = [pa.field(f["name"], pa.float64() if f["kind"] == "numeric" else pa.string()) for f in self.features]
        names = {f["name"] for f in self.features}
        fields += [pa.field(c, pa.string()) for c in self.args.id_columns if c not in names]
        return pa.schema(fields)

    def parquet(self) -> None:
        names = list(dict.fromkeys([f["name"] for f in self.features] + self.args.id_columns))
        batches = read_parquet(self.args.input, names, self.args.chunk_rows)
        for read, checked, _, done in prefetched(self.checked((b, n, d, []) for b, n, d in batches)):
            self.chunk(read, checked, [], done)


def _field(problem: dict[str, Any]) -> str:
    return f", field {problem['field']!r}" if problem.get("field") else ""


def _id_schema(args: Any, kind: str) -> pa.Schema:
    if kind == "parquet":
        import pyarrow.parquet as pq

        schema = pq.ParquetFile(args.input).schema_arrow
        return pa.schema([schema.field(name) for name in args.id_columns])
    return pa.schema([pa.field(name, pa.string()) for name in args.id_columns])


def _passes(args: Any, model: dict[str, Any], features: list[dict[str, Any]], outputs: Outputs, kind: str) -> Any:
    """Score the file (a CSV again, cell by cell, if the fast read met a value that is not a number)."""
    scoring, careful = Scoring(args, model, features, outputs), False
    try:
        try:
            scoring.parquet() if kind == "parquet" else scoring.csv(careful=False)
        except CarefulRead:
            scoring.writer.close()
            outputs.restart()
            scoring, careful = Scoring(args, model, features, outputs), True
            scoring.csv(careful=True)
        scoring.writer.close()
    except BaseException:
        with contextlib.suppress(Exception):  # the first error is the one to report
            scoring.writer.close()
        outputs.discard()
        raise
    return scoring, careful


def score(args: Any) -> None:
    started = time.perf_counter()
    args.input = single_file(args.input)
    if args.output.is_dir():  # the processing job's output folder: keep the input's format
        args.output = args.output / f"predictions{args.input.suffix.lower()}"
    kind, parquet_out = file_format(args.input), file_format(args.output) == "parquet"
    present = parquet_columns(args.input) if kind == "parquet" else header(args.input)
    with tempfile.TemporaryDirectory() as scratch:
        model = load_model(args.model, Path(scratch))
        features = features_of(model, args.contract)
        check_columns(present, features, args.id_columns, args.input.name)
        probabilities = model["metadata"]["task"] == "classification" and hasattr(model["pipeline"], "predict_proba")
        schema = output_schema(_id_schema(args, kind), model["metadata"], probabilities)
        outputs = Outputs(args.output, args.rejects, schema, parquet_out)
        scoring_started = time.perf_counter()
        # The cores are already busy reading, scoring and writing side by side (batch_threads.py); BLAS threads on a
        # chunk's small products mostly spin waiting for a core: twice the model's CPU time on two cores, same result.
        with threadpool_limits(limits=1, user_api="blas"):
            scoring, careful = _passes(args, model, features, outputs, kind)
        outputs.commit()
        scoring_seconds = time.perf_counter() - scoring_started
    wall = time.perf_counter() - started
    summary = {
        "model_version": model.get("model_version"),
        "input": str(args.input),
        "output": str(args.output),
        "rejects": str(args.rejects),
        "on_bad_row": args.on_bad_row,
        "rows_read": scoring.rows_read,
        "rows_scored": scoring.rows_scored,
        "rows_rejected": outputs.rejected_rows,
        "problems": scoring.problems,
        "checked_cell_by_cell": careful,
        "wall_seconds": round(wall, 3),
        "scoring_seconds": round(scoring_seconds, 3),
        "rows_per_second": round(scoring.rows_read / wall, 1) if wall > 0 else 0.0,
    }
    write_json(args.summary, summary)


def _stop(*_: object) -> None:
    sys.exit(143)  # SIGTERM (a stopped job, a killed `slipstream predict`): unwind, so no partial file stays


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGTERM, _stop)
    run_job("batch_score.py", lambda: score(parse_args(argv)), file_names=("failure", "message"))


if __name__ == "__main__":
    main(sys.argv[1:])
