"""Build `sourcedir.tar.gz` for SageMaker script mode, byte-for-byte reproducible.

SageMaker's scikit-learn container downloads `sagemaker_submit_directory`, extracts it and runs
`sagemaker_program` from its root, so the scripts sit flat at the tar root. Fixed mtimes, owners, modes and
ordering (and a zeroed gzip header timestamp) keep the bytes, and so the CDK asset hash, stable between
synths: an unchanged script never re-uploads or changes the state machine definition.
"""

from __future__ import annotations

import atexit
import gzip
import io
import shutil
import tarfile
import tempfile
from pathlib import Path

from aws_cdk import Annotations
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from cdk.settings import PROJECT_ROOT

REQUIRED = ("train.py", "evaluate.py", "inference.py")


def sourcedir_files(root: Path) -> dict[str, Path]:
    """Archive name -> file: every `*.py` of training/ plus inference/inference.py."""
    files = {p.name: p for p in sorted((root / "training").glob("*.py"))}
    inference = root / "inference" / "inference.py"
    if inference.is_file():
        files["inference.py"] = inference
    return dict(sorted(files.items()))


def missing_scripts(root: Path) -> list[str]:
    present = sourcedir_files(root)
    return [name for name in REQUIRED if name not in present]


def build_sourcedir(root: Path, out_dir: Path) -> Path:
    """Write `<out_dir>/sourcedir.tar.gz` and return its path."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in sourcedir_files(root).items():
            data = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "sourcedir.tar.gz"
    with target.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buffer.getvalue())
    return target


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
