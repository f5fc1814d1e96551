"""Benchmark extras: the predict Lambda's asset size and the machine a run was measured on."""

from __future__ import annotations

import os
import platform
import sys
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any


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
