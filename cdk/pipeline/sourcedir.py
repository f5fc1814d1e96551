"""The sourcedir archive (slipstream/sourcedir.py builds it, for the local runtime too) as a CDK asset."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from aws_cdk import Annotations
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from cdk.shared.settings import PROJECT_ROOT
from slipstream.sourcedir import build_sourcedir, missing_scripts, sourcedir_files

__all__ = ["SourceDir", "build_sourcedir", "missing_scripts", "sourcedir_files"]


class SourceDir(Construct):
    """The sourcedir archive as an S3 asset of the file itself (SageMaker wants a .tar.gz, not CDK's zip)."""

    def __init__(self, scope: Construct, construct_id: str, *, root: Path = PROJECT_ROOT) -> None:
        super().__init__(scope, construct_id)
        missing = missing_scripts(root)
        if missing:
            Annotations.of(self).add_warning_v2(
                "slipstream:sourcedir-incomplete", f"sourcedir.tar.gz lacks {', '.join(missing)}: runs will fail"
            )
        out_dir = Path(tempfile.mkdtemp(prefix="slipstream-sourcedir-"))
        atexit.register(shutil.rmtree, out_dir, ignore_errors=True)
        self.asset = s3_assets.Asset(self, "Archive", path=str(build_sourcedir(root, out_dir)))
