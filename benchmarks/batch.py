"""Batch scoring benchmark (not a test): rows/s of `slipstream predict`'s scorer on a 1M-row file against the
in-process floor, `predict_proba` on the whole frame already in memory, both on the image's Python.

    .venv/bin/python benchmarks/batch.py [--quick]

The scorer (training/batch_score.py, what `slipstream predict` runs) is timed as a whole process: interpreter
start, imports, model load, reading, the row checks, scoring and writing. The CLI's registry look-up and model
download come before it and do not grow with the file (seconds, mostly importing MLflow), so they are left out.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from table import Row, render  # noqa: E402

from slipstream.local.image_env import image_python  # noqa: E402
from slipstream.sourcedir import extract_sourcedir  # noqa: E402

FLOOR_NAME = "predict_proba on the whole array in memory"
# The model called as it was fitted and as inference.py calls it: the features' float64 array in the model's
# order, under inference.VALIDATED (a DataFrame would add pandas' conversion and a feature-name warning to the
# floor, which the scorer does not pay). Best of N, wall and the process's CPU (BLAS threads included).
FLOOR = """
import json, sys, time, numpy as np, pandas as pd
from sklearn import config_context
sys.path.insert(0, sys.argv[1])
import inference
model = inference.model_fn(sys.argv[2])
features = [f["name"] for f in model["metadata"]["features"]]
array = np.asfortranarray(pd.read_parquet(sys.argv[3], columns=features).to_numpy(dtype=np.float64))
wall = cpu = float("inf")
with config_context(**inference.VALIDATED):
    for _ in range(int(sys.argv[4])):
        started, used = time.perf_counter(), time.process_time()
        model["pipeline"].predict_proba(array)
        wall, cpu = min(wall, time.perf_counter() - started), min(cpu, time.process_time() - used)
print(json.dumps({"rows_per_second": len(array) / wall, "cpu_seconds": cpu}))
"""


def _image(args: list[str], cwd: Path, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONDONTWRITEBYTECODE": "1", **(extra or {})}
    done = subprocess.run([str(image_python()), *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return done


def _train(root: Path, code: Path) -> tuple[Path, Path, pd.DataFrame]:
    """A LogisticRegression trained by train.py in the image (as the pipeline trains it), and its contract."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.copy()
    frame["target"] = data.target_names[data.target]
    (root / "train").mkdir(parents=True)
    frame.to_csv(root / "train" / "train.csv", index=False)
    args = ["--target", "target", "--task", "classification", "--estimator", "sklearn.linear_model.LogisticRegression"]
    args += ["--params", '{"max_iter": 1000}', "--seed", "42"]
    sm = {"SM_MODEL_DIR": str(root / "model"), "SM_CHANNEL_TRAIN": str(root / "train")}
    sm |= {"SM_OUTPUT_DATA_DIR": str(root / "out" / "data"), "SM_OUTPUT_DIR": str(root / "out")}
    _image([str(code / "train.py"), *args], code, sm)
    features = frame.drop(columns="target")
    contract = {
        "features": [
            {"name": c, "kind": "numeric", "min": features[c].min(), "max": features[c].max()} for c in features.columns
        ]
    }
    (root / "contract.json").write_text(json.dumps(contract), encoding="utf-8")
    return root / "model", root / "contract.json", features


def _data(features: pd.DataFrame, rows: int, root: Path) -> list[tuple[Path, Path]]:
    """(the file, its first row alone) for Parquet and CSV: the one-row run measures what does not grow with rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(0)
    sample = features.sample(rows, replace=True, random_state=0).reset_index(drop=True)
    sample = sample * rng.normal(1.0, 0.02, size=sample.shape)  # not 569 rows repeated: every row differs
    sample.insert(0, "id", np.arange(rows))
    files = []
    for name, frame in (("rows", sample), ("one-row", sample.head(1))):
        parquet, csv = root / f"{name}.parquet", root / f"{name}.csv"
        frame.to_parquet(parquet, index=False)
        pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), csv)
        files.append((parquet, csv))
    return list(zip(*files, strict=True))


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _scorer(code: Path, model: Path, contract: Path, source: Path, root: Path, runs: int) -> tuple[float, float, float]:
    """The best of `runs` (each figure on its own: a busy machine slows some runs, never speeds one up)."""
    measured = [_scorer_once(code, model, contract, source, root) for _ in range(runs)]
    return max(m[0] for m in measured), max(m[1] for m in measured), min(m[2] for m in measured)


def _scorer_once(code: Path, model: Path, contract: Path, source: Path, root: Path) -> tuple[float, float, float]:
    """(rows/s of the scoring itself: read, check, score, write; rows/s of the whole process; its CPU-seconds)."""
    out = root / f"scored{source.suffix}"
    args = [str(code / "batch_score.py"), "--input", str(source), "--model", str(model), "--contract", str(contract)]
    args += ["--output", str(out), "--rejects", str(root / "rejects.csv"), "--summary", str(root / "summary.json")]
    args += ["--id-columns", '["id"]']
    started, used = time.perf_counter(), _children_cpu()
    _image(args, code)
    wall, cpu = time.perf_counter() - started, _children_cpu() - used
    summary = json.loads((root / "summary.json").read_text(encoding="utf-8"))
    assert summary["rows_scored"] == summary["rows_read"], summary
    return summary["rows_read"] / summary["scoring_seconds"], summary["rows_read"] / wall, cpu


def _rows(label: str, kind: str, measured: tuple[float, float, float], start_cpu: float, floor: dict) -> list[Row]:
    scoring, whole, cpu = measured
    return [
        Row(f"{label}, {kind}: read, check, score, write", scoring, floor["rows_per_second"], FLOOR_NAME, "rows/s",
            goal=0.7, higher_is_better=True),
        # CPU-seconds are what a loaded machine inflates least; on two idle cores the stages overlap, so the wall
        # ratio above can approach 2 x floor CPU / scoring CPU.
        Row(f"{label}, {kind}: CPU of read, check, score, write (process CPU less a one-row run's)",
            cpu - start_cpu, floor["cpu_seconds"], f"CPU of {FLOOR_NAME}", "s"),
        Row(f"{label}, {kind}: whole scorer process (start, imports, model load)", whole, floor["rows_per_second"],
            FLOOR_NAME, "rows/s", higher_is_better=True),
    ]  # fmt: skip


def bench(quick: bool = False) -> list[Row]:
    rows, runs = (100_000, 2) if quick else (1_000_000, 3)
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch:
        root = Path(scratch)
        code = extract_sourcedir(root / "code")
        model, contract, features = _train(root, code)
        files = _data(features, rows, root)
        floor = json.loads(_image(["-c", FLOOR, str(code), str(model), str(files[0][0]), "3"], code).stdout)
        table = []
        for source, one_row in files:
            start_cpu = _scorer(code, model, contract, one_row, root, runs)[2]
            measured = _scorer(code, model, contract, source, root, runs)
            table += _rows(f"{rows:,} rows x 30 features", source.suffix.lstrip("."), measured, start_cpu, floor)
        return table


if __name__ == "__main__":
    print(render(bench(quick="--quick" in sys.argv)))
