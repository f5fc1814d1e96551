"""The emulated Firehose's JSON -> Parquet conversion (strict.record_conversion): what fits a Glue table's
columns becomes one Parquet file; each record that does not is named with why."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slipstream.local.strict import firehose
from slipstream.local.strict.firehose import UnsupportedDestination
from slipstream.local.strict.record_conversion import convert, error_document

COLUMNS = [
    {"Name": "request_id", "Type": "string"},
    {"Name": "row", "Type": "bigint"},
    {"Name": "timestamp", "Type": "timestamp"},
    {"Name": "prediction", "Type": "string"},
    {"Name": "probabilities", "Type": "map<string,double>"},
    {"Name": "latency_ms", "Type": "double"},
    {"Name": "shadowed", "Type": "boolean"},
]
FORMATS = ["yyyy-MM-dd'T'HH:mm:ss.SSSZZ"]  # cdk/serving/capture_stream.py TIMESTAMP_FORMATS
ROW = {
    "request_id": "r",
    "row": 0,
    "timestamp": "2026-12-01T13:16:31.123+01:00",
    "prediction": 1,
    "probabilities": {"0": 0.5, "1": 0.5},
    "latency_ms": 3,
    "shadowed": False,
    "unknown": "dropped",
}


def _line(row: dict) -> bytes:
    return (json.dumps(row) + "\n").encode()


def _rows(parquet: bytes | None) -> list[dict]:
    assert parquet is not None
    return pq.read_table(io.BytesIO(parquet)).to_pylist()


def test_rows_become_parquet_typed_by_the_table() -> None:
    converted = convert([_line(ROW), _line({"request_id": "s"})], COLUMNS, FORMATS)
    assert converted.failed == []
    table = pq.read_table(io.BytesIO(converted.parquet or b""))
    assert table.schema.names == [c["Name"] for c in COLUMNS]  # unknown keys dropped
    assert table.schema.field("probabilities").type == pa.map_(pa.string(), pa.float64())
    first, second = table.to_pylist()
    assert first["timestamp"] == datetime(2026, 12, 1, 12, 16, 31, 123000)  # the offset applied: UTC
    assert (first["prediction"], first["latency_ms"], first["probabilities"]) == ("1", 3.0, [("0", 0.5), ("1", 0.5)])
    assert second == {**{c["Name"]: None for c in COLUMNS}, "request_id": "s"}  # missing keys: nulls


def test_several_rows_in_one_record_are_each_a_row() -> None:
    assert len(_rows(convert([_line(ROW) + _line(ROW)], COLUMNS, FORMATS).parquet)) == 2


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"timestamp": "2026-12-01 13:16:31"}, "timestamp"),
        ({"row": 1.5}, "row"),
        ({"latency_ms": "fast"}, "latency_ms"),
        ({"probabilities": [0.5]}, "probabilities"),
        ({"shadowed": "maybe"}, "shadowed"),
        ({"request_id": {"nested": 1}}, "request_id"),
    ],
)
def test_a_value_that_does_not_fit_fails_its_record_only(change: dict, column: str) -> None:
    bad = _line({**ROW, **change})
    converted = convert([_line(ROW), bad], COLUMNS, FORMATS)
    assert len(_rows(converted.parquet)) == 1
    [(raw, why)] = converted.failed
    assert raw == bad and f"column {column!r}" in why


def test_a_record_that_is_not_json_objects_fails_and_nothing_is_written_for_it() -> None:
    converted = convert([b"not json", b"[1, 2]"], COLUMNS, FORMATS)
    assert converted.parquet is None and len(converted.failed) == 2


def test_the_error_document_carries_the_raw_record() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    document = json.loads(error_document(b"raw", "why", {"tableName": "captures"}, now))
    assert base64.b64decode(document["rawData"]) == b"raw"
    assert document["lastErrorCode"] == "DataFormatConversion.MalformedData" and document["lastErrorMessage"] == "why"


def test_a_column_type_or_pattern_the_emulation_cannot_convert_is_named() -> None:
    with pytest.raises(UnsupportedDestination, match="array<string>"):
        convert([_line(ROW)], [{"Name": "tags", "Type": "array<string>"}], FORMATS)
    with pytest.raises(UnsupportedDestination, match="Joda-Time pattern"):
        convert([_line(ROW)], COLUMNS, ["EEE, dd MMM yyyy"])


def test_converted_objects_end_in_parquet_and_errors_go_under_their_type() -> None:
    now = datetime(2026, 3, 7, 9, tzinfo=UTC)
    destination = {
        "Prefix": "captures/data/!{timestamp:yyyy/MM/dd/HH}/",
        "ErrorOutputPrefix": "captures/errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
        "DataFormatConversionConfiguration": {
            "Enabled": True,
            "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}},
        },
    }
    assert firehose.object_key(destination, "s", "1", now).endswith(".parquet")
    error = firehose.error_key(destination, "s", "1", now, "format-conversion-failed")
    assert error.startswith("captures/errors/format-conversion-failed/2026/03/07/s-1-")
