"""`[model]` and `[tuning.space]` checked with the SageMaker image's Python and scikit-learn before a run starts:
the laptop's scikit-learn may accept a value the image's refuses (or the other way round), and the image is what
fits the model and every trial, locally and on AWS (slipstream/estimator_rules.py says which values differ)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from slipstream.config import Config
from slipstream.errors import ConfigError, SlipstreamError
from slipstream.estimator_check import searched_values
from slipstream.local.image_env import image_python

SCRIPT = Path(__file__).resolve().parent / "in_image" / "check_estimator.py"
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 300  # importing scikit-learn on a loaded machine; the check itself is milliseconds


def check_estimator_in_image(config: Config) -> None:
    """Raise ConfigError naming `model.estimator`, `model.params` or `tuning.space.<name>`, as the image's
    scikit-learn would refuse it."""
    request = {
        "estimator": config.model.estimator or "",
        "params": config.model.params,
        "task": config.data.task,
        "space": searched_values(config),
    }
    try:
        done = subprocess.run(
            [str(image_python()), str(SCRIPT), str(ROOT)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SlipstreamError(f"checking [model] with the image's scikit-learn took over {TIMEOUT_SECONDS}s") from None
    if done.returncode != 0:
        raise SlipstreamError(
            "could not check [model] with the image's Python", details=done.stderr.strip().splitlines()[-10:]
        )
    problem = json.loads(done.stdout)["problem"]
    if problem:
        said = f"{problem['message']} (the SageMaker image's scikit-learn {problem['sklearn']})"
        raise ConfigError(said, details=problem["details"])
