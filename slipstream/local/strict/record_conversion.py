"""Firehose's record-format conversion, JSON -> Parquet by a Glue table's columns (no moto here).

moto's Firehose ignores DataFormatConversionConfiguration and writes the JSON as it came. Firehose itself
(Developer Guide, "Convert input data format"; the Hive JSON SerDe it deserializes with):
- reads the table's columns from the Glue Data Catalog as the destination's schema role;
- matches JSON keys to columns by name; a key no column has is dropped, a column no key has is null;
- a string column takes any scalar as its text (`1` -> "1"), a number or boolean column a value of its type
  (or text that parses as one); a timestamp a text in one of the TimestampFormats (Joda-Time patterns), or
  java.sql.Timestamp's `yyyy-MM-dd HH:mm:ss[.f]` when none are given; a map<string,double> an object;
- writes the rows that convert as one Parquet file, and each record that does not (not JSON, or a value that
  does not fit its column) to the error prefix (`format-conversion-failed`) as a JSON document with its raw
  data in base64.
The emulation supports the column types slipstream/warehouse/schema.py uses and names any other.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from slipstream.local.strict.firehose import UnsupportedDestination

FAILED = "format-conversion-failed"  # Firehose's error-output-type for records that do not convert
MALFORMED = "DataFormatConversion.MalformedData"
ARROW = {
    "string": pa.string(),
    "double": pa.float64(),
    "bigint": pa.int64(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("ms"),  # Hive timestamps carry no zone: UTC here
    "map<string,double>": pa.map_(pa.string(), pa.float64()),
}
# Joda-Time DateTimeFormat letters -> strptime; `ZZ`/`Z` read an offset (`+00:00`, `+0000` or `Z`).
JODA = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S", "SSS": "%f", "ZZ": "%z", "Z": "%z"}
JAVA_SQL_TIMESTAMP = ["%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"]  # no TimestampFormats: Timestamp::valueOf
JODA_TOKEN = re.compile(r"'([^']*)'|(yyyy|MM|dd|HH|mm|ss|SSS|ZZ|Z)|([A-Za-z])")


class Unfit(ValueError):
    """A value that does not fit its column: the record goes to the error prefix."""


@dataclass(frozen=True)
class Converted:
    parquet: bytes | None  # None when no record converted
    failed: list[tuple[bytes, str]]  # (raw record, why)


def arrow_schema(columns: list[dict[str, Any]]) -> pa.Schema:
    """The Parquet schema of a Glue table's StorageDescriptor.Columns."""
    fields = []
    for column in columns:
        kind = column["Type"].replace(" ", "").lower()
        if kind not in ARROW:
            raise UnsupportedDestination(f"the emulated Firehose cannot convert a {column['Type']} column")
        fields.append(pa.field(column["Name"], ARROW[kind]))
    return pa.schema(fields)


def convert(records: list[bytes], columns: list[dict[str, Any]], timestamp_formats: list[str]) -> Converted:
    schema = arrow_schema(columns)
    parsers = {field.name: _parser(field.type, timestamp_formats) for field in schema}
    rows, failed = [], []
    for record in records:
        try:
            rows += [_row(document, parsers) for document in _documents(record)]
        except (Unfit, ValueError) as error:
            failed.append((record, str(error)))
    if not rows:
        return Converted(None, failed)
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), buffer, compression="snappy")
    return Converted(buffer.getvalue(), failed)


def error_document(record: bytes, why: str, table: dict[str, str], now: datetime) -> str:
    """One line of a format-conversion-failed object, in Firehose's documented shape."""
    millis = int(now.timestamp() * 1000)
    return json.dumps(
        {
            "attemptsMade": 1,
            "arrivalTimestamp": millis,
            "lastErrorCode": MALFORMED,
            "lastErrorMessage": why,
            "attemptEndingTimestamp": millis,
            "rawData": base64.b64encode(record).decode(),
            "dataCatalogTable": table,
        }
    )


def _documents(record: bytes) -> list[dict[str, Any]]:
    """A record's JSON objects: one, or several separated by whitespace (newline-delimited rows)."""
    text, decoder, found, at = record.decode("utf-8"), json.JSONDecoder(), [], 0
    while (at := _skip_space(text, at)) < len(text):
        document, at = decoder.raw_decode(text, at)
        if not isinstance(document, dict):
            raise Unfit(f"a record must hold JSON objects, not {type(document).__name__}")
        found.append(document)
    if not found:
        raise Unfit("an empty record")
    return found


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _row(document: dict[str, Any], parsers: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
    lowered = {str(key).lower(): value for key, value in document.items()}  # Hive matches names case-blind
    row = {}
    for name, parse in parsers.items():
        value = lowered.get(name)
        try:
            row[name] = None if value is None else parse(value)
        except (Unfit, ValueError, TypeError) as error:
            raise Unfit(f"column {name!r}: {error}") from None
    return row


def _parser(kind: pa.DataType, formats: list[str]) -> Callable[[Any], Any]:
    if kind == pa.string():
        return _text
    if kind == pa.float64():
        return _double
    if kind == pa.int64():
        return _bigint
    if kind == pa.bool_():
        return _boolean
    if kind == pa.timestamp("ms"):
        # Read the patterns now: one the emulation cannot read is a destination it cannot emulate, not bad data.
        patterns = [_strptime(f) for f in formats if f != "millis"] or JAVA_SQL_TIMESTAMP
        return lambda value: _timestamp(value, patterns, "millis" in formats)
    return _map


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        raise Unfit(f"{json.dumps(value)[:40]} is not a scalar")
    return value if isinstance(value, str) else json.dumps(value)


def _double(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Unfit(f"{value!r} is not a number")
    number = float(value)
    if isinstance(value, str) and not math.isfinite(number):
        raise Unfit(f"{value!r} is not a number")
    return number


def _bigint(value: Any) -> int:
    if isinstance(value, bool | float) or not isinstance(value, int | str):
        raise Unfit(f"{value!r} is not an integer")
    return int(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise Unfit(f"{value!r} is not a boolean")


def _map(value: Any) -> list[tuple[str, float]]:
    if not isinstance(value, dict):
        raise Unfit(f"{value!r} is not an object")
    return [(str(key), _double(item)) for key, item in value.items()]


def _timestamp(value: Any, patterns: list[str], millis: bool) -> datetime:
    if not isinstance(value, str):
        if millis and isinstance(value, int) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, UTC).replace(tzinfo=None)
        raise Unfit(f"{value!r} is not a timestamp")
    for pattern in patterns:
        try:
            parsed = datetime.strptime(value, pattern)
        except ValueError:
            continue
        return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    raise Unfit(f"{value!r} matches none of the timestamp formats")


def _strptime(pattern: str) -> str:
    def token(match: re.Match[str]) -> str:
        literal, letters, other = match.groups()
        if other:
            raise UnsupportedDestination(f"the emulated Firehose cannot read the Joda-Time pattern {pattern!r}")
        return literal.replace("%", "%%") if literal is not None else JODA[letters]

    return JODA_TOKEN.sub(token, pattern)
