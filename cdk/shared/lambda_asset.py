"""Stage one Lambda's code folder at synth time: its handler folder, the shared helpers and `slipstream/`.

No Docker here, so no bundling: we copy plain Python files into a temporary folder and hand it to
`Code.from_asset`, which hashes the content (not paths or mtimes), so unchanged code keeps its asset hash.
Third-party packages come from layers (Powertools, AWS SDK for pandas), never from this folder.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

_STAGING_ROOT: Path | None = None
# The part of slipstream/ the pipeline Lambdas import (config, data contract, step logic, the documents they
# receive and return). An allowlist: the
# rest (CLI, local runner, registry, serving) needs typer/rich/mlflow/sklearn, which Lambda does not have.
SLIPSTREAM_MODULES = (
    "__init__.py",
    "config.py",
    "stage_config.py",
    "promotion_config.py",  # config.py imports it
    "experiment_config.py",  # config.py imports it
    "canary_config.py",  # config.py imports it
    "observability_config.py",  # config.py imports it
    "alarm_config.py",  # config.py imports it
    "tuning_config.py",  # config.py imports it
    "batch_config.py",  # config.py imports it
    "batch_keys.py",  # the batch Locate function
    "canary.py",  # the canary rule: documents/canary.py imports it
    "errors.py",
    "layout.py",
    "documents",
    "contract.py",
    "contract_rules.py",
    "dataset.py",
    "csv_table.py",  # dataset.py reads CSV with it
    "baseline.py",
    "channel_files.py",  # the split files ValidateData writes
    "data_profile.py",  # contract.py imports it
    "documents",
    "steps",
)


def _staging_root() -> Path:
    global _STAGING_ROOT
    if _STAGING_ROOT is None:
        _STAGING_ROOT = Path(tempfile.mkdtemp(prefix="slipstream-lambda-"))
        atexit.register(shutil.rmtree, _STAGING_ROOT, ignore_errors=True)
    return _STAGING_ROOT


def _copy_python(src: Path, dst: Path, *, only: tuple[str, ...] | None = None) -> None:
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src)
        if "__pycache__" in rel.parts or (only is not None and rel.parts[0] not in only):
            continue
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dst / rel)


def stage_lambda(root: Path, name: str, extra_modules: tuple[str, ...] = ()) -> Path:
    """Folder holding `lambdas/<name>/`, `lambdas/common/`, `lambdas/__init__.py` and `slipstream/`.

    `extra_modules` adds parts of slipstream/ beyond the allowlist for this function only (the drift and
    Slack Lambdas import `monitoring`, whose plain functions `slipstream monitor` shares).
    """
    target = _staging_root() / name
    if target.exists():
        return target
    source = root / "lambdas" / name
    if not (source / "handler.py").is_file():
        raise FileNotFoundError(f"lambdas/{name}/handler.py not found")
    _copy_python(source, target / "lambdas" / name)
    _copy_python(root / "lambdas" / "common", target / "lambdas" / "common")
    shutil.copyfile(root / "lambdas" / "__init__.py", target / "lambdas" / "__init__.py")
    _copy_python(root / "slipstream", target / "slipstream", only=SLIPSTREAM_MODULES + extra_modules)
    return target
