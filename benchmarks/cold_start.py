"""The predict Lambda's cold start, each part in a fresh interpreter: the handler's import against the
powertools event handler + boto3 reference, and the first invocation (GET /health: the environment, the
contract read and its request models built, the service wired, the Tracer) and the sagemaker-runtime client
the first POST /predict creates."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

REFERENCE = "import aws_lambda_powertools.event_handler, boto3"
HANDLER = "import lambdas.predict.handler"

FIRST_INVOCATION = """
import io, json, os, sys, time
from contextlib import redirect_stdout
t = time.perf_counter()
from lambdas.predict import handler
imported = time.perf_counter()
from slipstream.local.serving.events import LocalContext, rest_event
event = rest_event("GET", "/health", [], b"", "127.0.0.1")
started = time.perf_counter()
with redirect_stdout(io.StringIO()):  # the EMF metrics line
    answer = handler.handler(event, LocalContext())
first = time.perf_counter()
assert answer["statusCode"] == 200, answer
from lambdas.predict.runtime import make_client
client_started = time.perf_counter()
make_client(os.environ["SAGEMAKER_RUNTIME_ENDPOINT_URL"], 5)
done = time.perf_counter()
print(json.dumps({"first": (first - started) * 1000, "client": (done - client_started) * 1000}))
"""


def _run(code: str, repo: Path, env: dict[str, str] | None = None) -> str:
    return subprocess.run([sys.executable, "-c", code], cwd=repo, env=env, capture_output=True, text=True,
                          check=True).stdout.strip().splitlines()[-1]  # fmt: skip


def import_ms(statement: str, repo: Path, env: dict[str, str]) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print((time.perf_counter() - t) * 1000)"
    return float(_run(code, repo, env))


def measure(repo: Path, env: dict[str, str], runs: int) -> dict[str, float]:
    """Medians (ms) over `runs`, the handler and the reference interleaved so load drifts hit both alike."""
    samples: dict[str, list[float]] = {"handler": [], "reference": [], "first": [], "client": []}
    for _ in range(runs):
        samples["handler"].append(import_ms(HANDLER, repo, env))
        samples["reference"].append(import_ms(REFERENCE, repo, env))
        first = json.loads(_run(FIRST_INVOCATION, repo, env))
        samples["first"].append(first["first"])
        samples["client"].append(first["client"])
    return {name: statistics.median(values) for name, values in samples.items()}
