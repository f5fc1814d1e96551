"""The two warehouse tables, `captures` and `feedback`, as columns generated from the data contract.

One definition for every writer and reader: the predict service writes capture rows keyed by these column names
(JSON Lines locally, Firehose on AWS, which converts them to Parquet by the Glue table built from the same
columns), and DuckDB (laptop), Athena (AWS), drift monitoring and experiments read them.

A capture row is one predicted instance (a request of n rows is n capture rows sharing `request_id`), so each
feature is a column. Column names are what Athena and Glue accept (lowercase letters, digits and `_`), so a
feature name such as "mean radius" becomes `mean_radius`; `feature_columns` is the one mapping and a pure
function of the feature names, so a reader with the contract (or a baseline listing the same features) finds
every feature's column without a stored map.

Only the standard library: the predict Lambda (no pandas) and the CDK app import it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

CAPTURES, FEEDBACK = "captures", "feedback"
Task = Literal["classification", "regression"]
Kind = Literal["numeric", "categorical"]
MAX_COLUMN = 255  # Glue's limit on a column name
# Hive/Glue type -> DuckDB type: the two engines' names for the same column.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "double": "DOUBLE",
    "bigint": "BIGINT",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "map<string,double>": "MAP(VARCHAR, DOUBLE)",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Glue/Hive type, a key of DUCKDB_TYPES
    comment: str

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    # On AWS only: the hour Firehose delivered the object, `yyyy/MM/dd/HH` (UTC), the object's key prefix and a
    # projected partition. Locally the same column is computed from the row's time, so queries can filter on it.
    partition: Column

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


DT = Column("dt", "string", "Hour the row was stored, yyyy/MM/dd/HH in UTC (the partition).")


def _answer_type(task: Task) -> str:
    # Labels are text everywhere (contract, feedback comparison); a regressor's answer is a number.
    return "string" if task == "classification" else "double"


def capture_meta(task: Task) -> tuple[Column, ...]:
    answer = _answer_type(task)
    return (
        Column("request_id", "string", "The request's id (X-Request-Id or generated); shared by its rows."),
        Column("row", "bigint", "Position of the instance in its request, from 0."),
        Column("timestamp", "timestamp", "When the prediction was made (UTC)."),
        Column("variant", "string", "Who answered the caller: champion or challenger."),
        Column("endpoint", "string", "The endpoint that answered."),
        Column("model_version", "string", "Registered version of the model that answered."),
        Column("prediction", answer, "The answer: a label (as text) or a value."),
        Column("probabilities", "map<string,double>", "Class -> probability (classification; empty otherwise)."),
        Column("latency_ms", "double", "Model call latency as the API measured it, in milliseconds."),
        Column("shadowed", "boolean", "The request was mirrored to the challenger (shadow mode)."),
        Column("shadow_model_version", "string", "The challenger version a mirrored request went to."),
        Column("shadow_prediction", answer, "The challenger's answer to a mirrored request."),
        Column("shadow_probabilities", "map<string,double>", "The challenger's probabilities (mirrored)."),
        Column("shadow_latency_ms", "double", "The challenger's latency on a mirrored request."),
        Column("shadow_error", "string", "Why a mirrored request has no usable answer."),
    )


def feedback_columns(task: Task) -> tuple[Column, ...]:
    return (
        Column("request_id", "string", "The request the ground truth is for."),
        Column("row", "bigint", "The row of that request, from 0."),
        Column("ground_truth", _answer_type(task), "The true label (as text) or value."),
        Column("received_at", "timestamp", "When the feedback arrived (UTC)."),
    )


def column_name(text: str) -> str:
    """`text` as a Glue/Athena column name: lowercase, runs of other characters as one `_`, not starting with a
    digit, at most MAX_COLUMN characters."""
    name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "feature"
    if name[0].isdigit():
        name = f"f_{name}"
    return name[:MAX_COLUMN]


def feature_columns(features: Sequence[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """Feature name -> its column, in the features' order. A name that collides (with a meta column, the
    partition or an earlier feature) gets `_2`, `_3`, ...: deterministic for the same list of features."""
    taken = {*reserved, DT.name}
    columns: dict[str, str] = {}
    for feature in features:
        base = column_name(feature)
        name, n = base, 1
        while name in taken:
            n += 1
            suffix = f"_{n}"
            name = f"{base[: MAX_COLUMN - len(suffix)]}{suffix}"
        taken.add(name)
        columns[feature] = name
    return columns


def capture_columns(features: Sequence[str]) -> dict[str, str]:
    """Feature name -> its column in the captures table, clear of the meta columns: the one mapping the capture
    writer, the table and every reader share (the meta columns' names are the same for both tasks)."""
    return feature_columns(features, reserved=(c.name for c in capture_meta("classification")))


def captures_table(task: Task, features: Sequence[tuple[str, Kind]]) -> Table:
    """`features`: (name, kind) in the contract's order (`[(f.name, f.kind) for f in contract.features]`)."""
    meta = capture_meta(task)
    names = capture_columns([name for name, _ in features])
    feature_cols = tuple(
        Column(names[name], "double" if kind == "numeric" else "string", f"Feature {name!r} as sent.")
        for name, kind in features
    )
    return Table(CAPTURES, meta + feature_cols, DT)


def feedback_table(task: Task) -> Table:
    return Table(FEEDBACK, feedback_columns(task), DT)
