"""The laptop warehouse: DuckDB views `captures` and `feedback` over the JSON Lines files `slipstream serve`
writes, typed by slipstream.warehouse.schema, so the saved queries (slipstream.warehouse.queries) and any SQL
run here as they do in Athena.

Views, not copies: a query sees every row written up to the moment it runs. `dt` is computed from the row's
own time (on AWS it is the hour Firehose stored the object, a few minutes later at most). A line that is not
JSON (a torn last line) or has no `request_id`/`prediction` is left out, as `slipstream monitor` leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from slipstream.config import Config
from slipstream.contract import read_contract
from slipstream.errors import SlipstreamError
from slipstream.local.monitoring.sources import capture_dir, capture_files, feedback_files
from slipstream.warehouse.queries import SavedQuery, saved_queries
from slipstream.warehouse.schema import DT, Column, Table, captures_table, feedback_table

# JSON answers arrive as the endpoint or the caller sent them (1, 1.0, "1"); labels are text in the tables,
# compared as slipstream.monitoring.traffic.labels_as_text compares them: an integral number without ".0".
LABEL_TEXT = """CASE json_type({c})
  WHEN 'NULL' THEN NULL
  WHEN 'VARCHAR' THEN {c} ->> '$'
  WHEN 'DOUBLE' THEN CASE WHEN CAST({c} AS DOUBLE) = TRUNC(CAST({c} AS DOUBLE))
    THEN CAST(CAST(CAST({c} AS DOUBLE) AS BIGINT) AS VARCHAR) ELSE CAST({c} AS VARCHAR) END
  ELSE CAST({c} AS VARCHAR) END"""
UTC_TIME = "CAST(TRY_CAST({c} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP)"


class QueryFailed(SlipstreamError):
    """A query DuckDB refused, or a saved query name that does not exist."""


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class Warehouse:
    connection: duckdb.DuckDBPyConnection
    queries: list[SavedQuery]
    captured: int  # rows in `captures`
    capture_folder: Path

    def run(self, name_or_sql: str) -> Result:
        """A saved query by name, or any SQL over `captures` and `feedback`."""
        sql = resolve(name_or_sql, self.queries)
        try:
            cursor = self.connection.execute(sql)
            return Result([d[0] for d in cursor.description or []], cursor.fetchall())
        except duckdb.Error as error:
            raise QueryFailed(f"the query failed: {error}", details=_hint(name_or_sql, self.queries)) from None


def open_warehouse(config: Config) -> Warehouse:
    """An in-memory DuckDB with the two views, for the contract of the model being served."""
    if not config.contract_path.is_file():
        raise SlipstreamError(
            f"no data contract at {config.contract_path}: run the pipeline (`slipstream run`) first; "
            "the tables' feature columns come from it"
        )
    contract = read_contract(config.contract_path)
    task = contract.task
    features = [(f.name, f.kind) for f in contract.features]
    connection = duckdb.connect(":memory:")
    connection.execute(_view(captures_table(task, features), capture_files(config), "prediction"))
    connection.execute(_view(feedback_table(task), feedback_files(config), "ground_truth"))
    captured = connection.execute("SELECT COUNT(*) FROM captures").fetchone()
    queries = saved_queries(task, features, dialect="duckdb")
    return Warehouse(connection, queries, int(captured[0]) if captured else 0, capture_dir(config))


def resolve(name_or_sql: str, queries: list[SavedQuery]) -> str:
    text = name_or_sql.strip()
    by_name = {q.name: q for q in queries}
    if text in by_name:
        return by_name[text].sql
    if text.replace("_", "").replace("-", "").isalnum():  # one word: meant as a saved query's name
        raise QueryFailed(f"no saved query named {text!r}", details=_names(queries))
    return text


def _view(table: Table, files: list[Path], required: str) -> str:
    """CREATE VIEW over the files (every column read as its schema type), or an empty view of the same
    columns when there is no file yet."""
    typed = [_typed(column) for column in table.columns]
    if not files:
        empty = ", ".join(f"CAST(NULL AS {c.duckdb_type}) AS {_q(c.name)}" for c in (*table.columns, DT))
        return f"CREATE VIEW {table.name} AS SELECT {empty} WHERE false"
    raw = ", ".join(f"{_literal(c.name)}: {_literal(_raw_type(c))}" for c in table.columns)
    paths = ", ".join(_literal(str(path)) for path in files)
    time = "received_at" if table.name == "feedback" else "timestamp"
    source = f"read_json([{paths}], format = 'newline_delimited', columns = {{{raw}}}, ignore_errors = true)"
    return (
        f"CREATE VIEW {table.name} AS SELECT *, strftime({_q(time)}, '%Y/%m/%d/%H') AS {DT.name} FROM "
        f"(SELECT {', '.join(typed)} FROM {source} WHERE request_id IS NOT NULL AND {_q(required)} IS NOT NULL)"
    )


def _raw_type(column: Column) -> str:
    if column.type == "timestamp":
        return "VARCHAR"  # ISO-8601 with an offset: converted to UTC below
    if column.type == "string" and column.name in ANSWERS:
        return "JSON"
    return column.duckdb_type


ANSWERS = {"prediction", "shadow_prediction", "ground_truth"}


def _typed(column: Column) -> str:
    name = _q(column.name)
    if column.type == "timestamp":
        return f"{UTC_TIME.format(c=name)} AS {name}"
    if column.type == "string" and column.name in ANSWERS:
        return f"{LABEL_TEXT.format(c=name)} AS {name}"
    return name


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _names(queries: list[SavedQuery]) -> list[str]:
    return [f"saved queries: {', '.join(q.name for q in queries)} (`slipstream query --list` describes them)"]


def _hint(name_or_sql: str, queries: list[SavedQuery]) -> list[str]:
    if name_or_sql.strip() in {q.name for q in queries}:
        return [f"in the saved query {name_or_sql.strip()!r}"]
    return ["the tables are `captures` and `feedback` (docs/warehouse.md lists their columns)"]
