"""What the batch tests compare against: inference.py's transform_fn (the endpoint's one call per request),
run on the image's Python over the registered model folder, for the rows of a file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

from slipstream.local.image_env import image_python

REPO = Path(__file__).resolve().parents[2]
ENDPOINT_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import inference
model = inference.model_fn(sys.argv[2])
body = sys.stdin.read()
print(inference.transform_fn(model, body, "application/json", "application/json")[0])
"""


def endpoint_answers(model_dir: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """{"predictions", "probabilities", ...} as the endpoint answers these rows (one request)."""
    done = subprocess.run(
        [str(image_python()), "-c", ENDPOINT_PROBE, str(REPO / "inference"), str(model_dir)],
        input=json.dumps({"instances": rows}),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def records(frame: pd.DataFrame, features: list[str]) -> list[dict[str, Any]]:
    """Rows as a /predict request carries them: NaN as null."""
    subset = frame[features].astype(object).where(frame[features].notna(), None)
    return subset.to_dict(orient="records")
