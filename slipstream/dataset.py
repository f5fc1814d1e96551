"""Reading the dataset named by `data.source`: a CSV/Parquet file, or a dataset bundled with scikit-learn.

The ValidateData Lambda has pandas/pyarrow but not scikit-learn, so sklearn is imported only inside
`_load_sklearn` (a local-only source). Every failure is a DataError naming the file and what is wrong.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from slipstream.config import Config
from slipstream.csv_table import read_csv
from slipstream.errors import DataError

SKLEARN_PREFIX = "sklearn:"
# Datasets shipped inside the scikit-learn wheel. Others (california_housing, ...) download on first use,
# which fails offline and in CI, so they are refused rather than left to hang.
BUNDLED_DATASETS = ("breast_cancer", "diabetes", "digits", "iris", "wine")
FILE_READERS = {".csv": read_csv, ".parquet": pd.read_parquet, ".pq": pd.read_parquet}


def is_bundled(config: Config) -> bool:
    return config.data.source.startswith(SKLEARN_PREFIX)


def source_path(config: Config) -> Path:
    """The data file, resolved against the config file's folder."""
    return (config.base_dir / config.data.source).resolve()


def load_dataset(config: Config) -> pd.DataFrame:
    """The whole dataset, target included and `ignore_columns` still present (see `drop_ignored`).

    Checks that the target column exists and that every ignored column exists, so a typo in the config
    is reported here, naming the columns that are available.
    """
    if is_bundled(config):
        frame, where = _load_sklearn(config), config.data.source
    else:
        path = source_path(config)
        frame, where = _read_file(path), str(path)
    _check_columns(frame, config, where)
    return frame


def drop_ignored(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The frame without `data.ignore_columns`; a DataError names any that are not there."""
    ignored = config.data.ignore_columns
    unknown = [name for name in ignored if name not in frame.columns]
    if unknown:
        raise DataError(
            f"ignore_columns names columns not in {config.data.source}: {', '.join(map(repr, unknown))}",
            details=[f"columns available: {_column_list(frame)}"],
        )
    return frame.drop(columns=ignored)


def data_sha256(config: Config) -> str:
    """A stable SHA-256 of the dataset's content, recorded as lineage with each model version.

    Files are hashed byte for byte (renaming or moving them does not change it). Bundled datasets are
    hashed through a canonical CSV rendering, so the hash moves only if scikit-learn changes the data.
    """
    digest = hashlib.sha256()
    if is_bundled(config):
        digest.update(_canonical_csv(_load_sklearn(config)).encode("utf-8"))
        return digest.hexdigest()
    path = source_path(config)
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _canonical_csv(frame: pd.DataFrame) -> str:
    # Explicit line ending and full float precision (pandas' default repr) so the text is the same on every OS.
    return frame.to_csv(index=False, lineterminator="\n")


def _load_sklearn(config: Config) -> pd.DataFrame:
    name = config.data.source.removeprefix(SKLEARN_PREFIX).strip()
    if name not in BUNDLED_DATASETS:
        raise DataError(
            f"{config.data.source}: not a dataset bundled with scikit-learn",
            details=[f"choose one of: {', '.join(BUNDLED_DATASETS)}, or give a CSV/Parquet path"],
        )
    from sklearn import datasets  # local-only source: keeps sklearn out of the Lambda's imports

    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    features = bunch.data
    if config.data.target in features.columns:
        raise DataError(
            f"{config.data.source}: target name {config.data.target!r} is already a feature of this dataset",
            details=["choose another name for data.target (e.g. 'target')"],
        )
    target = bunch.target
    names = getattr(bunch, "target_names", None)
    if names is not None:  # classification: labels a person can read ("malignant"), not class numbers
        target = target.map(dict(enumerate(str(label) for label in names)))
    # The bundled target has no name of its own, so it takes the one the config gives it.
    return features.assign(**{config.data.target: target.to_numpy()})


def _read_file(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"data file not found: {path}")
    if not path.is_file():
        raise DataError(f"{path}: is not a file")
    reader = FILE_READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(
            f"{path}: unsupported file type {path.suffix or '(no extension)'!r}",
            details=[f"use one of: {', '.join(FILE_READERS)}"],
        )
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty (0 bytes)")
    try:
        frame = reader(path)
    except Exception as error:  # pandas/pyarrow raise many types for corrupt files; all mean "unreadable"
        raise DataError(f"{path}: cannot be read as {path.suffix.lstrip('.')}: {error}") from None
    if frame.empty:
        raise DataError(f"{path}: has no rows (columns: {_column_list(frame) or 'none'})")
    return frame


def _check_columns(frame: pd.DataFrame, config: Config, where: str) -> None:
    target = config.data.target
    if target not in frame.columns:
        raise DataError(
            f"{where}: target column {target!r} not found",
            details=[f"columns available: {_column_list(frame)}"],
        )
    drop_ignored(frame, config)  # raises for unknown ignore_columns
    for key in ("sensitive", "identifiers"):
        unknown = [name for name in getattr(config.data, key) if name not in frame.columns]
        if unknown:
            raise DataError(
                f"data.{key} names columns not in {config.data.source}: {', '.join(map(repr, unknown))}",
                details=[f"columns available: {_column_list(frame)}"],
            )


def _column_list(frame: pd.DataFrame) -> str:
    return ", ".join(repr(str(name)) for name in frame.columns)
