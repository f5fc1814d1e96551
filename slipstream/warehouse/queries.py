"""The saved queries: one SQL source (sql/*.sql, written in DuckDB's dialect) rendered for the contract's task
and features, then transpiled with sqlglot to the engine that runs it (DuckDB on a laptop, Athena on AWS).

Each file starts with `--` comment lines, its description; `$name` placeholders are the parts that depend on
the contract (the quality metric, one select per feature). The queries name the unqualified tables `captures`
and `feedback` (schema.py); Athena's named queries carry the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Literal

import sqlglot

from slipstream.warehouse.schema import Kind, Task, captures_table

Dialect = Literal["duckdb", "athena"]
SOURCE_DIALECT = "duckdb"
# Feedback can be sent twice for one row: its latest answer counts (as slipstream.monitoring.traffic.feedback_frame).
LATEST_FEEDBACK = """latest_feedback AS (
  SELECT request_id, "row", ground_truth
  FROM (
    SELECT request_id, "row", ground_truth,
      ROW_NUMBER() OVER (PARTITION BY request_id, "row" ORDER BY received_at DESC) AS answer
    FROM feedback
  ) AS ranked
  WHERE answer = 1
)"""
METRICS = {
    "classification": "AVG(CAST(CASE WHEN f.ground_truth IS NULL THEN NULL WHEN c.prediction = f.ground_truth "
    "THEN 1 ELSE 0 END AS DOUBLE)) AS accuracy",
    "regression": "AVG(ABS(c.prediction - f.ground_truth)) AS mae, "
    "SQRT(AVG(POWER(c.prediction - f.ground_truth, 2))) AS rmse",
}
PREDICTIONS = {
    "classification": (
        "rows and share per predicted label.",
        "SELECT model_version, prediction, COUNT(*) AS row_count,\n"
        "  CAST(COUNT(*) AS DOUBLE) / SUM(COUNT(*)) OVER (PARTITION BY model_version) AS share\n"
        "FROM captures\nGROUP BY model_version, prediction\nORDER BY model_version, row_count DESC, prediction",
    ),
    "regression": (
        "rows, mean, standard deviation, minimum, approximate median and maximum of the predicted value.",
        "SELECT model_version, COUNT(*) AS row_count, AVG(prediction) AS mean, STDDEV_SAMP(prediction) AS stddev,\n"
        "  MIN(prediction) AS minimum, APPROX_QUANTILE(prediction, 0.5) AS median, MAX(prediction) AS maximum\n"
        "FROM captures\nGROUP BY model_version\nORDER BY model_version",
    ),
}


@dataclass(frozen=True)
class SavedQuery:
    name: str
    description: str
    sql: str


class QueryError(ValueError):
    """A saved query's source that does not render or parse (a defect of the SQL files, caught by the tests)."""


def saved_queries(task: Task, features: Sequence[tuple[str, Kind]], *, dialect: Dialect) -> list[SavedQuery]:
    """Every saved query for a contract, in `dialect`, sorted by name. `features`: (name, kind) in the
    contract's order, as schema.captures_table takes them."""
    values = _placeholders(task, features)
    found = []
    for name, source in _sources():
        if name == "category_counts" and not values["category_counts"]:
            continue  # no categorical feature: nothing to count
        description, body = _split(source)
        sql = _render(name, body, values)
        found.append(SavedQuery(name, Template(description).safe_substitute(values), transpile(sql, dialect)))
    return found


def transpile(sql: str, dialect: Dialect) -> str:
    """One statement of the source dialect, as `dialect` writes it (pretty-printed)."""
    try:
        statements = sqlglot.transpile(sql, read=SOURCE_DIALECT, write=dialect, pretty=True)
    except sqlglot.errors.ParseError as error:
        raise QueryError(str(error)) from None
    if len(statements) != 1:
        raise QueryError(f"expected one statement, found {len(statements)}")
    return statements[0]


def _sources() -> list[tuple[str, str]]:
    folder = resources.files("slipstream.warehouse") / "sql"
    files = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".sql")), key=lambda e: e.name)
    return [(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8")) for entry in files]


def _split(source: str) -> tuple[str, str]:
    lines = source.strip().splitlines()
    comments = [line for line in lines if line.startswith("--")]
    if not comments or not lines[0].startswith("--"):
        raise QueryError("a saved query starts with its description as `--` comment lines")
    description = " ".join(line.removeprefix("--").strip() for line in lines[: len(comments)])
    return description, "\n".join(lines[len(comments) :])


def _render(name: str, body: str, values: dict[str, str]) -> str:
    try:
        return Template(body).substitute(values)
    except (KeyError, ValueError) as error:
        raise QueryError(f"{name}.sql: unknown or malformed placeholder {error}") from None


def _placeholders(task: Task, features: Sequence[tuple[str, Kind]]) -> dict[str, str]:
    if not features:
        raise QueryError("the contract has no features")
    table = captures_table(task, features)
    columns = [c.name for c in table.columns[-len(features) :]]  # the feature columns follow the meta columns
    description, predictions = PREDICTIONS[task]
    numeric = [
        _numeric_summary(i, n, c) for i, ((n, k), c) in enumerate(zip(features, columns, strict=True)) if k == "numeric"
    ]
    categorical = [(i, n, c) for i, ((n, k), c) in enumerate(zip(features, columns, strict=True)) if k != "numeric"]
    summaries = numeric + [_categorical_summary(i, n, c) for i, n, c in categorical]
    return {
        "latest_feedback": LATEST_FEEDBACK,
        "quality_metrics": METRICS[task],
        "feature_summaries": "\nUNION ALL\n".join(summaries),
        "category_counts": "\nUNION ALL\n".join(_category_count(i, n, c) for i, n, c in categorical),
        "predictions": predictions,
        "predictions_description": description,
    }


def _literal(text: str) -> str:
    return sqlglot.exp.Literal.string(text).sql(dialect=SOURCE_DIALECT)


def _column(name: str) -> str:
    return sqlglot.exp.to_identifier(name, quoted=True).sql(dialect=SOURCE_DIALECT)


def _summary(position: int, feature: str, kind: str, column: str, numbers: str) -> str:
    return (
        f"SELECT model_version, {_literal(feature)} AS feature, {_literal(kind)} AS kind, {position} AS position, "
        f"COUNT(*) AS row_count, COUNT(*) - COUNT({column}) AS missing, COUNT(DISTINCT {column}) AS distinct_values, "
        f"{numbers} FROM captures GROUP BY model_version"
    )


def _numeric_summary(position: int, feature: str, column: str) -> str:
    c = _column(column)
    numbers = (
        f"AVG({c}) AS mean, STDDEV_SAMP({c}) AS stddev, MIN({c}) AS minimum, "
        f"APPROX_QUANTILE({c}, 0.5) AS median, MAX({c}) AS maximum"
    )
    return _summary(position, feature, "numeric", c, numbers)


def _categorical_summary(position: int, feature: str, column: str) -> str:
    none = ", ".join(f"CAST(NULL AS DOUBLE) AS {n}" for n in ("mean", "stddev", "minimum", "median", "maximum"))
    return _summary(position, feature, "categorical", _column(column), none)


def _category_count(position: int, feature: str, column: str) -> str:
    return (
        f"SELECT model_version, {_literal(feature)} AS feature, {position} AS position, {_column(column)} AS value, "
        f"COUNT(*) AS row_count FROM captures GROUP BY model_version, {_column(column)}"
    )
