"""`[model]` and `[tuning.space]` checked with the SageMaker image's Python and scikit-learn before a run starts:
the laptop's scikit-learn may accept a value the image's refuses (or the other way round), and the image is what
fits the model and every trial, locally and on AWS (slipstream/estimator_rules.py says which values differ)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from slipstream.config import Config
from slipstream.errors import ConfigError, SlipstreamError
from slipstream.estimator_check import searched_values
from slipstream.local import image_zygote
from slipstream.local.image_env import STAMP, helper_env, image_python
from slipstream.local.parent_death import die_with_parent

SCRIPT = Path(__file__).resolve().parent / "in_image" / "check_estimator.py"
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 300  # importing scikit-learn on a loaded machine; the check itself is milliseconds
# Passed checks, one empty file per (request, image environment, check code): starting the image's Python costs
# ~2 s of CPU per run, and the answer cannot change unless one of the three does. Refusals are never cached.
PASSED_DIR = Path(sys.prefix) / "var" / "slipstream" / "estimator-checks"
CHECK_CODE = (SCRIPT, ROOT / "slipstream" / "estimator_rules.py", ROOT / "slipstream" / "errors.py")


def check_estimator_in_image(config: Config) -> None:
    """Raise ConfigError naming `model.estimator`, `model.params` or `tuning.space.<name>`, as the image's
    scikit-learn would refuse it."""
    request = {
        "estimator": config.model.estimator or "",
        "params": config.model.params,
        "task": config.data.task,
        "space": searched_values(config),
    }
    python = image_python()
    passed = PASSED_DIR / _check_key(json.dumps(request, sort_keys=True), python)
    if passed.is_file():
        return
    _run_check(python, request)
    try:
        PASSED_DIR.mkdir(parents=True, exist_ok=True)
        passed.touch()
    except OSError:  # a read-only environment: the check simply runs again next time
        pass


def _check_key(request: str, python: Path) -> str:
    digest = hashlib.sha256(request.encode())
    digest.update((python.parents[1] / STAMP).read_bytes())
    for path in CHECK_CODE:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _run_check(python: Path, request: dict) -> None:
    try:
        done = subprocess.run(
            [str(python), str(SCRIPT), str(ROOT)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=image_zygote.job_env(helper_env()),
            timeout=TIMEOUT_SECONDS,
            check=False,
            preexec_fn=die_with_parent(),
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
