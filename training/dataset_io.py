"""Read a SageMaker channel: every CSV and Parquet file under a folder, as one DataFrame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sm_paths import JobError

SUFFIXES = (".csv", ".parquet")


def table_files(directory: Path) -> list[Path]:
    # rglob: an S3 prefix channel keeps the objects' sub-folders; sorted so row order (and the model) is stable.
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def _read_one(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except Exception as error:  # pandas raises many types here; all mean "this file is unreadable"
        raise JobError(f"cannot read {path}: {type(error).__name__}: {error}") from error


def read_tables(directory: Path, what: str) -> pd.DataFrame:
    """All rows of every *.csv / *.parquet under `directory`; `what` names the channel in error messages."""
    if not directory.is_dir():
        raise JobError(f"the {what} folder {directory} does not exist")
    files = table_files(directory)
    if not files:
        raise JobError(f"the {what} folder {directory} holds no .csv or .parquet file")
    frames = [_read_one(path) for path in files]
    columns = list(frames[0].columns)
    for path, frame in zip(files[1:], frames[1:], strict=True):
        if set(frame.columns) != set(columns):
            raise JobError(f"{path} has columns {list(frame.columns)}, but {files[0]} has {columns}")
    data = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if data.empty:
        raise JobError(f"the {what} data in {directory} has no rows")
    return data
