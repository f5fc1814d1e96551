"""A new project's MLflow database, copied from an empty one migrated once per installed MLflow version.

MLflow creates a SQLite store by running every alembic migration since its first schema (over fifty
revisions, each a Python file to load): 12-20 s of a fresh project's first `slipstream run` on a 2-core
machine, whatever the data's size. The copy is what MLflow itself would have made: its own
`_initialize_tables` builds the template, so the tables and the alembic revision are the installed
version's, and it holds no rows (MLflow adds its Default experiment on first use, as it does in its own).
The template sits in the environment that holds that MLflow (sys.prefix), named by its version; when it
cannot be built or copied, MLflow creates the database itself as before.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

TEMPLATE_DIR = Path(sys.prefix) / "var" / "slipstream"


def template_path() -> Path:
    return TEMPLATE_DIR / f"mlflow-{version('mlflow-skinny')}-empty.db"


def seed_database(tracking_uri: str) -> None:
    """Create the SQLite file of `tracking_uri` from the template when it does not exist yet."""
    if not tracking_uri.startswith("sqlite:///"):
        return
    database = Path(tracking_uri.removeprefix("sqlite:///"))
    if database.exists():
        return
    with contextlib.suppress(Exception):  # any failure: MLflow migrates a new database itself, only slower
        _copy_atomically(_template(), database)


def _template() -> Path:
    path = template_path()
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(dir=path.parent, suffix=".db")  # parallel first runs: one file each
        os.close(handle)
        try:
            _migrate(Path(scratch))
            os.replace(scratch, path)
        finally:
            Path(scratch).unlink(missing_ok=True)
    return path


def _migrate(database: Path) -> None:
    import sqlalchemy
    from mlflow.store.db.utils import _initialize_tables

    engine = sqlalchemy.create_engine(f"sqlite:///{database}")
    try:
        _initialize_tables(engine)
    finally:
        engine.dispose()


def _copy_atomically(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.{os.getpid()}.seeding")
    try:
        shutil.copyfile(source, scratch)
        with contextlib.suppress(FileExistsError):  # another process created it meanwhile: keep theirs
            os.link(scratch, target)  # unlike a rename, never replaces an existing file
    finally:
        scratch.unlink(missing_ok=True)
