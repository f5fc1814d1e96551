"""The whole local pipeline (`slipstream run`) at 10k, 100k, 300k and 1M rows x 32 columns, against its own floor.

The floor, measured in the same run and the same Python: read the CSV, split it, fit and predict the same
scikit-learn Pipeline (training/model_pipeline.py) with the same estimator. Each pipeline run is a separate
`slipstream run` process, so its peak RSS (the largest of the CLI and the job processes it starts) is its own.
Also: the bundled pipeline's wall, and the 1M-row train split written as CSV vs as Parquet (what ValidateData
hands to Train). Run: `.venv/bin/python -m benchmarks.pipeline [--quick]`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "training")]  # run as a script too; training/: the model's own Pipeline

from benchmarks import table  # noqa: E402
from benchmarks.synthetic import TARGET, classification_table, project_config  # noqa: E402
from benchmarks.table import Row  # noqa: E402

SLIPSTREAM = REPO / ".venv" / "bin" / "slipstream"
# 300k: the middle size of the linearity row must do several seconds of work above the smallest run's fixed cost
# (~20 s of process starts and MLflow at 10k and at 100k alike), or noise decides that row.
FULL_SIZES = (10_000, 100_000, 300_000, 1_000_000)
QUICK_SIZES = (5_000,)  # a smoke test: below ~100k rows the fixed costs (process starts, MLflow) dominate
GOAL_SIZE = 1_000_000  # the goals are the for 1M x 32: within 2x the floor, memory a small multiple
GOAL, MEMORY_GOAL = 2.0, 4.0
MEASURABLE_SECONDS = 3.0  # run-to-run spread of the fixed costs on this machine is ~1 s
# Runs `slipstream run` and reports its wall and the peak RSS of it and every process it waited for.
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"code": done.returncode, "wall": wall, "peak": peak, "tail": (done.stdout + done.stderr)[-2000:]}))
"""


def bench(quick: bool = False) -> list[Row]:
    rows: list[Row] = []
    walls: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="slipstream-bench-") as tmp:
        for size in QUICK_SIZES if quick else FULL_SIZES:
            frame = classification_table(size)
            project = Path(tmp) / f"rows-{size}"
            project.mkdir()
            frame.to_csv(project / "data.csv", index=False)
            config = project / "slipstream.toml"
            config.write_text(f'state_dir = "state"\n{project_config("data.csv")}', encoding="utf-8")
            floor = _floor(project / "data.csv", TARGET)
            run = _pipeline(config)
            walls[size] = run["wall"]
            rows += _size_rows(size, frame, floor, run)
            if size == max(walls):
                rows.append(_split_writes(frame, size))
        rows += _linearity(walls)
        if not quick:
            rows.append(_bundled(Path(tmp)))
    return rows


def _size_rows(size: int, frame: pd.DataFrame, floor: float, run: dict) -> list[Row]:
    label = f"{size:,} rows x {frame.shape[1] - 1} columns"
    in_memory = frame.memory_usage(deep=True).sum() / 2**20
    goals = (GOAL, MEMORY_GOAL) if size == GOAL_SIZE else (None, None)
    rows = [
        Row(f"{label}: pipeline wall", run["wall"], floor, "read + split + fit + predict", "s", goals[0]),
        Row(f"{label}: peak RSS", run["peak"] / 2**20, in_memory, "the data in memory", "MiB", goals[1]),
    ]
    rows += [
        Row(f"{label}: {step}", seconds, run["wall"], "pipeline wall", "s") for step, seconds in run["steps"].items()
    ]
    return rows


def _floor(csv: Path, target: str) -> float:
    """Read + stratified split + fit + predict of the pipeline's own model, in this process."""
    from model_pipeline import build_pipeline, describe_features, make_estimator
    from sklearn.model_selection import train_test_split

    from slipstream.config import DEFAULT_ESTIMATOR, DEFAULT_PARAMS

    estimator = DEFAULT_ESTIMATOR["classification"]
    started = time.perf_counter()
    data = pd.read_csv(csv)
    train, test = train_test_split(data, test_size=0.2, random_state=42, stratify=data[target])
    features = describe_features(train, target)
    model = build_pipeline(features, make_estimator(estimator, DEFAULT_PARAMS[estimator], 42, "classification"))
    names = [feature["name"] for feature in features]
    model.fit(train[names], train[target])
    model.predict_proba(test[names])
    return time.perf_counter() - started


def _pipeline(config: Path) -> dict:
    command = [sys.executable, "-c", _MEASURE, str(SLIPSTREAM), "run", "--config", str(config)]
    measured = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    if measured["code"] != 0:
        raise RuntimeError(f"slipstream run failed ({measured['code']}): {measured['tail']}")
    summaries = sorted((config.parent / "state").glob("runs/*/summary.json"))
    measured["steps"] = json.loads(summaries[-1].read_text())["timings_s"] if summaries else {}
    return measured


def _split_writes(frame: pd.DataFrame, size: int) -> Row:
    """The train split as Parquet (what ValidateData writes now) against the same rows as CSV (before)."""
    from slipstream.channel_files import to_parquet

    train = frame.sample(frac=0.8, random_state=0)
    started = time.perf_counter()
    to_parquet(train)
    parquet = time.perf_counter() - started
    started = time.perf_counter()
    train.to_csv(index=False)
    csv = time.perf_counter() - started
    return Row(f"{size:,}-row data: writing the train split as Parquet", parquet, csv, "the same split as CSV", "s")


def _linearity(walls: dict[int, float]) -> list[Row]:
    """Wall per row above the smallest size's (the fixed costs: process starts, MLflow), largest vs second-largest
    size: about 1x when the cost grows linearly. Not judged when the second-largest run did not measurably exceed
    the smallest (noise would decide the ratio)."""
    if len(walls) < 3:
        return []
    small, middle, large = sorted(walls)[0], sorted(walls)[-2], sorted(walls)[-1]
    per_row = {size: (walls[size] - walls[small]) / (size - small) * 1e6 for size in (middle, large)}
    goal = 1.5 if walls[middle] - walls[small] > MEASURABLE_SECONDS else None
    what = f"wall per 1M rows above the {small:,}-row run, at {large:,}"
    return [Row(what, per_row[large], per_row[middle], f"the same at {middle:,}", "s", goal)]


def _bundled(tmp: Path) -> Row:
    from slipstream.config import load_config
    from slipstream.dataset import load_dataset

    project = tmp / "bundled"
    project.mkdir()
    body = (REPO / "slipstream.toml").read_text(encoding="utf-8")
    (project / "slipstream.toml").write_text(f'state_dir = "state"\n{body}', encoding="utf-8")
    config = load_config(project / "slipstream.toml")
    load_dataset(config).to_csv(project / "bundled.csv", index=False)
    floor = _floor(project / "bundled.csv", config.data.target)
    run = _pipeline(project / "slipstream.toml")
    return Row("bundled pipeline (breast cancer): wall", run["wall"], floor, "read + split + fit + predict", "s")


if __name__ == "__main__":
    print(table.render(bench(quick="--quick" in sys.argv)))
