"""Build `sourcedir.tar.gz` for SageMaker script mode, byte-for-byte reproducible.

SageMaker's scikit-learn container downloads `sagemaker_submit_directory`, extracts it and runs
`sagemaker_program` from its root, so the scripts sit flat at the tar root. Fixed mtimes, owners, modes and
ordering (and a zeroed gzip header timestamp) keep the bytes, and so the CDK asset hash, stable between
synths: an unchanged script never re-uploads or changes the state machine definition.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

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
