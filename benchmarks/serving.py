"""Serving benchmark (not a test): one model, one run, four ways to serve it, single-row requests.

    PATH=.venv/bin:$PATH .venv/bin/python benchmarks/serving.py [--seconds 5] [--write]

Targets: raw in-process inference (the floor), a minimal Flask app (the seed's way), `mlflow models serve
--env-manager local`, and `slipstream serve`. For each: p50/p99 latency and throughput at concurrency 1
and 8 over a fixed duration, from a closed-loop client on the same machine. Also: the predict handler's
import time and the Lambda asset size. --write records the results in docs/performance.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

import load  # noqa: E402
from report import asset_size, import_times, machine, write_markdown  # noqa: E402

from slipstream.config import load_config  # noqa: E402
from slipstream.local.serving.httpbase import free_port  # noqa: E402
from slipstream.local.serving.plan import build_plan, process_env  # noqa: E402
from slipstream.local.serving.report import example_instance  # noqa: E402


def _wait(url: str, body: bytes | None, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def _server(args: list[str], url: str, body: bytes, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(url, body)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def measure(name, factory, seconds, warmup, results) -> None:
    for concurrency in (1, 8):
        result = load.run(factory, concurrency, seconds, warmup)
        results.append({"target": name, "c": concurrency, **result.__dict__, "rps": result.rps})
        print(f"  {name:<22} c{concurrency}: {result.rps:7.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
              f"p99 {result.p99_ms:6.2f} ms  errors {result.errors}", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=REPO / "slipstream.toml")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--write", action="store_true", help="write docs/performance.md")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"
    config = load_config(args.config)
    plan = build_plan(config, host="127.0.0.1", port=free_port(), endpoint_port=free_port())
    model_dir = Path(next(iter(json.loads(plan.endpoint_spec.read_text()).values()))["model_dir"])
    row = example_instance(config.contract_path)
    body = json.dumps({"instances": [row]}).encode()
    env = process_env({"MLFLOW_TRACKING_URI": config.tracking_uri})
    results: list[dict] = []
    champion = plan.deployment.champion
    print(f"model: {config.name} version {champion.version if champion else None}; {args.seconds:.0f}s per point")

    sys.path.insert(0, str(model_dir / "code"))
    # The shipped copy (model/code/inference.py): what every server below runs, minus HTTP.
    inference: Any = importlib.import_module("inference")

    model = inference.model_fn(str(model_dir))
    measure("in-process (floor)", lambda: lambda: bool(inference.transform_fn(model, body, "application/json", None)),
            args.seconds, args.warmup, results)  # fmt: skip

    port = free_port()
    flask = _server([sys.executable, str(REPO / "benchmarks" / "flask_app.py"), str(model_dir), str(port)],
                    f"http://127.0.0.1:{port}/predict", body, env)  # fmt: skip
    try:
        measure("Flask (seed)", load.http_call("127.0.0.1", port, "/predict", body), args.seconds, args.warmup, results)
    finally:
        _stop(flask)

    port = free_port()
    mlflow_body = json.dumps({"dataframe_records": [row]}).encode()
    mlflow_args = [str(Path(sys.executable).parent / "mlflow"), "models", "serve", "--env-manager", "local",
                   "-m", f"models:/{config.name}@champion", "-h", "127.0.0.1", "-p", str(port)]  # fmt: skip
    mlflow = _server(mlflow_args, f"http://127.0.0.1:{port}/invocations", mlflow_body, env)
    try:
        factory = load.http_call("127.0.0.1", port, "/invocations", mlflow_body)
        measure("mlflow models serve", factory, args.seconds, args.warmup, results)
    finally:
        _stop(mlflow)

    port = free_port()
    serve_args = [str(Path(sys.executable).parent / "slipstream"), "serve", "--config", str(args.config),
                  "--port", str(port)]  # fmt: skip
    serve = _server(serve_args, f"http://127.0.0.1:{port}/predict", body, env)
    try:
        measure(
            "slipstream serve", load.http_call("127.0.0.1", port, "/predict", body), args.seconds, args.warmup, results
        )
    finally:
        _stop(serve)

    extras = {"import": import_times(REPO), "asset": asset_size(REPO), "machine": machine()}
    print(json.dumps(extras, indent=2))
    table = write_markdown(results, extras, REPO / "docs" / "performance.md" if args.write else None)
    print(table)


if __name__ == "__main__":
    main()
