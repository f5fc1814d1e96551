"""The ValidateData processing job's code: the ValidateData Lambda's own folder, the stage's config, and the
pydantic the scikit-learn image lacks, as one reproducible .tar.gz asset (SageMaker downloads it as an input).

The Lambda gets pydantic from the Powertools layer and its config from SLIPSTREAM_CONFIG; the job gets both here.
The dependencies are the project's own pins built for the image's Python and platform by `make install`
(Makefile JOB_DEPS), so the job runs the same versions as the Lambda.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from cdk.pipeline.functions import VALIDATE_MODULES
from cdk.shared.lambda_asset import stage_lambda
from cdk.shared.settings import PROJECT_ROOT, DeploySettings
from slipstream.job_arguments import VALIDATION_CONFIG_FILE as CONFIG_FILE
from slipstream.sourcedir import write_archive

JOB_DEPS = PROJECT_ROOT / ".venv-images" / "validation-job-py310"
# Beyond the Lambda's allowlist: the job's mount points and entrypoint names.
EXTRA_MODULES = ("job_arguments.py",)


class ValidationCode(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploySettings) -> None:
        super().__init__(scope, construct_id)
        out_dir = Path(tempfile.mkdtemp(prefix="slipstream-validation-code-"))
        atexit.register(shutil.rmtree, out_dir, ignore_errors=True)
        files = validation_code_files(settings.config.lambda_json(), out_dir)
        archive = write_archive(files, out_dir / "validation.tar.gz", stable=_tree(JOB_DEPS))
        self.asset = s3_assets.Asset(self, "Archive", path=str(archive))


def validation_code_files(config_json: str, work_dir: Path, root: Path = PROJECT_ROOT) -> dict[str, Path]:
    """Archive name -> file: the staged Lambda folder, the extra core modules, the config and the dependencies."""
    if not (JOB_DEPS / ".installed").is_file():
        raise FileNotFoundError(f"{JOB_DEPS} is missing: run `make install` (the ValidateData job's dependencies)")
    config = work_dir / CONFIG_FILE
    config.write_text(config_json, encoding="utf-8")
    files = {CONFIG_FILE: config}
    for folder in (stage_lambda(root, "validate_data", VALIDATE_MODULES), JOB_DEPS):
        files.update(_tree(folder))
    files.update({f"slipstream/{name}": root / "slipstream" / name for name in EXTRA_MODULES})
    return files


def _tree(folder: Path) -> dict[str, Path]:
    return {
        path.relative_to(folder).as_posix(): path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.name != ".installed"
    }
