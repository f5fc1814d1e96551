"""Serving benchmark (not a test): the model call, three servers side by side, the predict Lambda's cold start.

    PATH=.venv/bin:$PATH .venv/bin/python benchmarks/serving.py [--quick] [--seconds 5] [--write]

Needs a champion (`slipstream run`). Every figure is beside its floor or peer from the same run (table.py):
- the model call in the container (inference.py's transform_fn on the image's Python, JSON in and out) at 1,
  100 and the configured maximum rows per request, against the estimator alone on already-preprocessed rows;
  the one-row call against the 1 ms budget and against the name-based Pipeline earlier models had;
- `slipstream serve` against `mlflow models serve --env-manager local` and the seed's Flask app under gunicorn
  with 2 workers (on the image's Python, which pickled the model), single-row POSTs from a closed-loop client
  on the same machine at concurrency 1 and 8, the same body (MLflow's own envelope for MLflow); beside each
  req/s, the CPU per request of the server's process tree over the same window (tree_cpu.py), which other
  sessions' load on the machine does not move the way it moves wall-clock throughput;
- the predict handler's import against `import aws_lambda_powertools.event_handler, boto3`, and the first
  invocation beside it. --write records the table in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

import cold_start  # noqa: E402
import load  # noqa: E402
from report import machine  # noqa: E402
from table import Row, render  # noqa: E402

from slipstream.config import Config, load_config  # noqa: E402
from slipstream.local.image_env import image_python  # noqa: E402
from slipstream.local.serving.httpbase import free_port  # noqa: E402
from slipstream.local.serving.plan import build_plan, process_env  # noqa: E402
from slipstream.local.serving.report import example_instance  # noqa: E402

MODEL_CALL = REPO / "benchmarks" / "in_image" / "model_call.py"
BIN = Path(sys.executable).parent


def _wait(url: str, body: bytes, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def _server(args: list[str], url: str, body: bytes, env: dict[str, str]) -> Iterator[int]:
    """The server's pid once it answers: its process tree is what the CPU figures count."""
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(url, body)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def model_call_rows(config: Config, model_dir: Path, seconds: float) -> list[Row]:
    from slipstream.dataset import drop_ignored, load_dataset

    sizes = sorted({1, 100, config.serving.max_rows})
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data.csv"
        drop_ignored(load_dataset(config), config).to_csv(data, index=False)
        command = [str(image_python()), str(MODEL_CALL), str(model_dir), str(data), config.data.target]
        env = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}  # as the endpoint's container sets it
        done = subprocess.run([*command, str(seconds), *map(str, sizes)], env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the in-image model call benchmark failed:\n{done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    one = figures["sizes"]["1"]["call"] * 1000
    rows = [
        Row("one-row model call in the container (bundled model)", one, 1.0, "the 1 ms budget", "ms", goal=1.0),
        Row(
            "one-row model call, positional vs name-based columns",
            one,
            figures["name_based_one_row"] * 1000,
            "the same call on the name-based Pipeline",
            "ms",
        ),
    ]
    for size in sizes:
        timing = figures["sizes"][str(size)]
        rows.append(Row(f"model call, {size} row(s) per request", size / timing["call"], size / timing["estimator"],
                        "the estimator alone on preprocessed rows", "rows/s", higher_is_better=True))  # fmt: skip
    return rows


def mlflow_model(config: Config, scratch: Path) -> Path:
    """The champion's equivalent for `mlflow models serve --env-manager local`: the same estimator, params and
    seed through the same training function (on all of the data), saved as an MLflow sklearn model by this environment's
    scikit-learn. The registered pickle itself is the image's scikit-learn (1.4): this environment's newer one
    cannot unpickle it (a fitted SimpleImputer lacks attributes 1.9 needs), so MLflow could not serve it here."""
    import joblib
    import mlflow.sklearn

    from slipstream.dataset import drop_ignored, load_dataset

    sys.path.insert(0, str(REPO / "training"))
    import training_run

    frame = drop_ignored(load_dataset(config), config)
    (scratch / "train").mkdir(parents=True)
    frame.to_csv(scratch / "train" / "train.csv", index=False)
    training_run.train(
        target=config.data.target,
        task=config.data.task,
        estimator=str(config.model.estimator),
        params=config.model.params,
        seed=config.data.seed,
        channel_dir=scratch / "train",
        model_dir=scratch / "model",
        output_data_dir=scratch / "output",
        script_dir=REPO / "training",
    )
    example = frame.drop(columns=config.data.target).head(5)
    target = scratch / "mlflow-model"
    model = joblib.load(scratch / "model" / "model.joblib")
    # cloudpickle, as the registry stores the champion (registry_model.py), not skops (not installed).
    mlflow.sklearn.save_model(model, str(target), serialization_format="cloudpickle", input_example=example)
    return target


def _measure(factory: Any, seconds: float, warmup: float, pid: int) -> dict[int, load.Result]:
    return {c: load.run(factory, c, seconds, warmup, server_pid=pid) for c in (1, 8)}


def serving_rows(config: Config, config_path: Path, model_dir: Path, seconds: float, warmup: float) -> list[Row]:
    row = example_instance(config.contract_path)
    body = json.dumps({"instances": [row]}).encode()
    env = process_env({"MLFLOW_TRACKING_URI": config.tracking_uri})
    results: dict[str, dict[int, load.Result]] = {}

    port = free_port()
    flask = [str(image_python()), "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir",
             str(REPO / "benchmarks"), "flask_app:app"]  # fmt: skip
    flask_env = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "MODEL_DIR": str(model_dir)}
    with _server(flask, f"http://127.0.0.1:{port}/predict", body, flask_env) as pid:
        results["Flask + gunicorn (2 workers)"] = _measure(load.http_call("127.0.0.1", port, "/predict", body),
                                                           seconds, warmup, pid)  # fmt: skip

    port = free_port()
    mlflow_body = json.dumps({"dataframe_records": [row]}).encode()
    with tempfile.TemporaryDirectory() as scratch:
        mlflow = [str(BIN / "mlflow"), "models", "serve", "--env-manager", "local", "-m",
                  str(mlflow_model(config, Path(scratch))), "-h", "127.0.0.1", "-p", str(port)]  # fmt: skip
        with _server(mlflow, f"http://127.0.0.1:{port}/invocations", mlflow_body, env) as pid:
            factory = load.http_call("127.0.0.1", port, "/invocations", mlflow_body)
            results["mlflow models serve"] = _measure(factory, seconds, warmup, pid)

    port = free_port()
    serve = [str(BIN / "slipstream"), "serve", "--config", str(config_path), "--port", str(port)]
    with _server(serve, f"http://127.0.0.1:{port}/predict", body, env) as pid:
        factory = load.http_call("127.0.0.1", port, "/predict", body)
        results["slipstream serve"] = _measure(factory, seconds, warmup, pid)

    for name, by_c in results.items():
        for c, result in by_c.items():
            print(f"  {name:<30} c{c}: {result.rps:7.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
                  f"p99 {result.p99_ms:6.2f} ms  CPU {result.cpu_ms_per_request:6.2f} ms/req  "
                  f"errors {result.errors}", file=sys.stderr)  # fmt: skip
    return comparison_rows(results)


def comparison_rows(results: dict[str, dict[int, load.Result]]) -> list[Row]:
    """Throughput (wall clock: what a caller sees, at the mercy of the machine's load) and the CPU the server's
    process tree spent per request (holds under load: other sessions' work is not in it), per peer and c."""
    ours, rows = results["slipstream serve"], []
    for peer, goal in (("mlflow models serve", 2.0), ("Flask + gunicorn (2 workers)", 1.0)):
        for c in (1, 8):
            theirs, errors = results[peer][c], ours[c].errors + results[peer][c].errors
            rows.append(Row(f"slipstream serve, concurrency {c} ({errors} errors)", ours[c].rps, theirs.rps,
                            peer, "req/s", goal=goal, higher_is_better=True))  # fmt: skip
            # The same goal as CPU: 2x the throughput per core is half the CPU per request.
            rows.append(Row(f"slipstream serve, CPU per request, concurrency {c}", ours[c].cpu_ms_per_request,
                            theirs.cpu_ms_per_request, f"{peer} (its process tree)", "ms", goal=1 / goal))  # fmt: skip
    return rows


def cold_start_rows(plan_env: dict[str, str], runs: int) -> list[Row]:
    # As on AWS: tracing on (no X-Ray daemon here, so a missing segment is ignored rather than logged).
    env = {k: v for k, v in process_env(plan_env).items() if k != "POWERTOOLS_TRACE_DISABLED"}
    env["AWS_XRAY_CONTEXT_MISSING"] = "IGNORE_ERROR"
    ms = cold_start.measure(REPO, env, runs)
    reference = "import aws_lambda_powertools.event_handler, boto3"
    return [
        Row("predict handler import (Lambda init)", ms["handler"], ms["reference"], reference, "ms", goal=1.5),
        Row(
            "first invocation: request models from the contract, service, Tracer",
            ms["first"],
            ms["reference"],
            reference,
            "ms",
        ),
        Row("first POST /predict: the sagemaker-runtime client", ms["client"], ms["reference"], reference, "ms"),
    ]


def bench(quick: bool = False, config_path: Path = REPO / "slipstream.toml", seconds: float | None = None) -> list[Row]:
    os.environ["OMP_NUM_THREADS"] = "1"
    seconds = seconds or (1.0 if quick else 5.0)
    config = load_config(config_path)
    plan = build_plan(config, host="127.0.0.1", port=free_port(), endpoint_port=free_port())
    model_dir = Path(next(iter(json.loads(plan.endpoint_spec.read_text()).values()))["model_dir"])
    rows = model_call_rows(config, model_dir, 0.3 if quick else 1.0)
    rows += cold_start_rows(plan.api_env, 3 if quick else 7)
    rows += serving_rows(config, config_path, model_dir, seconds, 0.3 if quick else 1.0)
    return rows


def write_markdown(rows: list[Row], path: Path) -> None:
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{start}\n{render(rows)}\n\n```json\n{json.dumps(machine(), indent=2)}\n```\n{end}"
    path.write_text(text.split(start)[0] + block + (text.split(end)[1] if end in text else "\n"), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=REPO / "slipstream.toml")
    parser.add_argument("--seconds", type=float, default=None, help="per load point (default 5, 1 with --quick)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write", action="store_true", help="write docs/performance.md")
    args = parser.parse_args()
    rows = bench(args.quick, args.config, args.seconds)
    print(render(rows))
    if args.write:
        write_markdown(rows, REPO / "docs" / "performance.md")


if __name__ == "__main__":
    main()
