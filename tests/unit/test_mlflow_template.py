"""A new project's MLflow database comes from the migrated template (slipstream/local/mlflow_template.py)."""

from __future__ import annotations

import sqlite3

import pytest

from slipstream.local import mlflow_template


def _revision(database) -> str:
    with sqlite3.connect(database) as connection:
        return connection.execute("select version_num from alembic_version").fetchone()[0]


def test_a_seeded_database_is_the_installed_mlflows_own(tmp_path):
    from mlflow.store.db.utils import _get_latest_schema_revision
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    uri = f"sqlite:///{tmp_path / 'state' / 'mlflow.db'}"

    mlflow_template.seed_database(uri)

    assert _revision(tmp_path / "state" / "mlflow.db") == _get_latest_schema_revision()
    store = SqlAlchemyStore(uri, str(tmp_path / "artifacts"))  # verifies the schema; migrates nothing
    experiment = store.create_experiment("seeded")
    assert store.get_experiment(experiment).name == "seeded"
    assert store.get_experiment("0").artifact_location.startswith(str(tmp_path / "artifacts"))


def test_an_existing_database_is_left_alone(tmp_path):
    database = tmp_path / "mlflow.db"
    database.write_bytes(b"theirs")

    mlflow_template.seed_database(f"sqlite:///{database}")

    assert database.read_bytes() == b"theirs"


def test_without_a_template_mlflow_creates_the_database_itself(tmp_path, monkeypatch):
    def broken() -> None:
        raise OSError("read-only environment")

    monkeypatch.setattr(mlflow_template, "_template", broken)
    database = tmp_path / "mlflow.db"

    mlflow_template.seed_database(f"sqlite:///{database}")

    assert not database.exists()
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("uri", ["postgresql://db/mlflow", "file:///tmp/mlruns"])
def test_other_stores_are_not_touched(uri):
    mlflow_template.seed_database(uri)  # nothing to seed: no error, no file
