"""Benchmark extras (handler import time, Lambda asset size, machine) and the docs/performance.md table."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

IMPORTS = {
    "predict handler": "import lambdas.predict.handler",
    "powertools event_handler + boto3 (reference)": "import aws_lambda_powertools.event_handler, boto3",
}


def import_times(repo: Path, runs: int = 5) -> dict[str, float]:
    """Median wall time (ms) of each import in a fresh interpreter (the Lambda cold start's import phase)."""
    times = {}
    for name, statement in IMPORTS.items():
        code = f"import time; t = time.perf_counter(); {statement}; print((time.perf_counter() - t) * 1000)"
        samples = [
            float(
                subprocess.run(
                    [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True
                ).stdout
            )
            for _ in range(runs)
        ]
        times[name] = round(statistics.median(samples), 1)
    return times


def asset_size(repo: Path) -> dict[str, Any]:
    """The predict Lambda's code folder as cdk/shared/lambda_asset.py stages it, and its zipped size."""
    sys.path.insert(0, str(repo))
    from cdk.shared.lambda_asset import stage_lambda

    folder = stage_lambda(repo, "predict")
    files = [p for p in folder.rglob("*") if p.is_file()]
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder))
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files), "zip_bytes": buffer.tell()}


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())  # fmt: skip
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "os": platform.platform(), "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}  # fmt: skip


def write_markdown(results: list[dict[str, Any]], extras: dict[str, Any], path: Path | None) -> str:
    rows = {(r["target"], r["c"]): r for r in results}
    flask1, flask8 = rows[("Flask (seed)", 1)]["rps"], rows[("Flask (seed)", 8)]["rps"]
    ml1, ml8 = rows[("mlflow models serve", 1)]["rps"], rows[("mlflow models serve", 8)]["rps"]
    lines = [
        "| path | rps c1 | p50 c1 ms | p99 c1 ms | rps c8 | p50 c8 ms | p99 c8 ms | vs Flask c1,c8 | vs mlflow c1,c8 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for target in dict.fromkeys(r["target"] for r in results):
        one, eight = rows[(target, 1)], rows[(target, 8)]
        lines.append(
            f"| {target} | {one['rps']:.0f} | {one['p50_ms']:.2f} | {one['p99_ms']:.2f} | {eight['rps']:.0f} | "
            f"{eight['p50_ms']:.2f} | {eight['p99_ms']:.2f} | {one['rps'] / flask1:.2f}, {eight['rps'] / flask8:.2f} | "
            f"{one['rps'] / ml1:.2f}, {eight['rps'] / ml8:.2f} |"
        )
    table = "\n".join(lines)
    if path is not None:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        start, end = "<!-- bench:start -->", "<!-- bench:end -->"
        block = f"{start}\n{table}\n\n```json\n{__import__('json').dumps(extras, indent=2)}\n```\n{end}"
        text = text.split(start)[0] + block + (text.split(end)[1] if end in text else "\n")
        path.write_text(text, encoding="utf-8")
    return table
