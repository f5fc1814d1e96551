"""Image-Python jobs forked from the preloaded zygote (slipstream/local/image_zygote.py) against plain processes:
CPU and wall of one training job (the toolkit, then train.py), one `python3 -c` processing job and one model
container (gunicorn from start to its first answer, then stopped; the model servers' gevent-patched zygote), best
of N, the two ways interleaved so load drifts hit both alike. A forked job's CPU is counted where it is reaped: the
zygote's own children times (/proc/<pid>/stat), beside this process's children times for the stand-ins."""

from __future__ import annotations

import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.table import Row, render
from slipstream.job_arguments import sdk_encoded
from slipstream.job_commands import TRAINING_ENTRYPOINT
from slipstream.local import image_zygote
from slipstream.local.sagemaker import run_processing_job, run_training_job
from slipstream.sourcedir import PROJECT_ROOT, build_sourcedir

HYPERPARAMETERS = {
    "target": "y", "task": "classification", "estimator": "sklearn.linear_model.LogisticRegression", "params": "{}",
    "sagemaker_program": "train.py",
}  # fmt: skip
PROCESSING = ["python3", "-c", "import numpy, pandas, sklearn.linear_model; print(pandas.__version__)"]


def _zygote_cpu() -> float:
    total = 0.0
    for zygote in image_zygote._zygotes.values():
        fields = Path(f"/proc/{zygote.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime
    return total


def _measured(job: Callable[[Path], object], folder: Path) -> tuple[float, float]:
    """(cpu s, wall s) of one job: its stand-in processes' and its forked children's CPU."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    zygote = _zygote_cpu()
    started = time.perf_counter()
    job(folder)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime + _zygote_cpu() - zygote
    return cpu, wall


def _training(scratch: Path) -> Callable[[Path], object]:
    data = scratch / "data"
    data.mkdir()
    rows = "\n".join(f"{i % 7},{(i * 13) % 11},{int(i % 7 + (i * 13) % 11 > 8)}" for i in range(400))
    (data / "train.csv").write_text(f"a,b,y\n{rows}\n", encoding="utf-8")
    sourcedir = build_sourcedir(PROJECT_ROOT, scratch / "sourcedir")
    hyperparameters = sdk_encoded({**HYPERPARAMETERS, "sagemaker_submit_directory": str(sourcedir)})
    return lambda folder: run_training_job(
        folder / "opt" / "ml", channels={"train": data}, hyperparameters=hyperparameters, entrypoint=TRAINING_ENTRYPOINT
    )


def _container(scratch: Path, training: Callable[[Path], object]) -> Callable[[Path], object]:
    """A model container on a model trained by train.py, as an endpoint hosts it."""
    from slipstream.local.serving.container import ModelContainer
    from slipstream.sourcedir import extract_sourcedir

    trained = scratch / "trained"
    training(trained)
    code = extract_sourcedir(scratch / "code")

    def start_answer_stop(folder: Path) -> object:
        folder.mkdir(parents=True)
        shutil.copytree(code, folder / "code")
        shutil.copytree(trained / "opt" / "ml" / "model", folder / "model")
        container = ModelContainer(folder, {"SAGEMAKER_PROGRAM": "inference.py"}).start()
        try:
            container.wait_ready(timeout=120)
            body = json.dumps({"instances": [{"a": 1, "b": 2}]}).encode()
            return container.invoke(body, {"Content-Type": "application/json"}, timeout=30)
        finally:
            container.stop()

    return start_answer_stop


def _processing(folder: Path) -> object:
    (folder / "opt" / "ml").mkdir(parents=True)
    return run_processing_job(folder / "opt" / "ml", entrypoint=PROCESSING, arguments=[], inputs={}, outputs=[])


def _best(job: Callable[[Path], object], scratch: Path, runs: int) -> dict[str, tuple[float, float]]:
    best = {"plain": (float("inf"), float("inf")), "forked": (float("inf"), float("inf"))}
    os.environ[image_zygote.SWITCH] = "1"
    job(scratch / f"warm-{id(job)}")  # starts the zygote: its preloads are paid once per process, not per job
    for run in range(runs):
        for mode in ("plain", "forked"):
            os.environ[image_zygote.SWITCH] = "1" if mode == "forked" else "0"
            cpu, wall = _measured(job, scratch / f"{mode}-{run}-{id(job)}")
            best[mode] = (min(best[mode][0], cpu), min(best[mode][1], wall))
    os.environ.pop(image_zygote.SWITCH)
    return best


def bench(quick: bool = False) -> list[Row]:
    runs = 2 if quick else 5
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        training = _training(scratch)
        jobs = (
            ("training job (toolkit + train.py)", training),
            ("processing job", _processing),
            ("model container (start, first answer, stop)", _container(scratch, training)),
        )
        for name, job in jobs:
            best = _best(job, scratch, runs)
            for index, unit in ((0, "CPU"), (1, "wall")):
                rows.append(
                    Row(
                        f"{name}, {unit}, forked",
                        best["forked"][index],
                        best["plain"][index],
                        "plain processes",
                        "s",
                        0.5,
                    )
                )
    image_zygote.close()
    return rows


if __name__ == "__main__":
    print(render(bench()))
