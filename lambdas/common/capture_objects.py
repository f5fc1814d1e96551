"""The rows of one object of a warehouse table as Firehose wrote it: Parquet (record-format conversion, the
stack's streams since the warehouse) or JSON Lines, gzipped or not (objects written before it, and the
local files).

Either way a row is the dict the predict service wrote (slipstream/warehouse/schema.py's column names), so the
one reader (slipstream.monitoring.traffic.traffic_from_rows) sees the same rows from both: Parquet's maps come
back as dicts, its timestamps as the ISO-8601 text the JSON rows carry.
"""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime
from typing import Any

from slipstream.monitoring.traffic import parse_lines

PARQUET_MAGIC = b"PAR1"  # a Parquet file starts (and ends) with it
GZIP_MAGIC = b"\x1f\x8b"


def object_rows(body: bytes) -> tuple[list[dict[str, Any]], int]:
    """(rows, lines skipped): a torn or non-object JSON line is skipped and counted; Parquet has no such lines."""
    if body[:4] == PARQUET_MAGIC:
        return parquet_rows(body), 0
    if body[:2] == GZIP_MAGIC:
        body = gzip.decompress(body)
    return parse_lines(body.decode("utf-8").splitlines())


def parquet_rows(body: bytes) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq  # the monitoring Lambdas' AWS SDK for pandas layer has it

    return [{name: _plain(value) for name, value in row.items()} for row in pq.read_table(io.BytesIO(body)).to_pylist()]


def _plain(value: Any) -> Any:
    """A Parquet value as the JSON row held it: map -> dict (pyarrow gives (key, value) pairs), timestamp ->
    ISO-8601 with milliseconds and offset (Hive timestamps are UTC without a zone)."""
    if isinstance(value, list) and all(isinstance(item, tuple) and len(item) == 2 for item in value):
        return dict(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return value
