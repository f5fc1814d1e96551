"""The seam between Firehose's two ways of writing the captures table and its one reader: the rows the predict
service writes, delivered as JSON Lines (gzipped or not) or converted to Parquet by the Glue table's columns
(the emulated conversion, strict.record_conversion), read back by lambdas.common.capture_objects as the same
row dicts, which traffic_from_rows turns into the same Traffic."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from lambdas.common.capture_objects import object_rows
from lambdas.predict.service import capture_rows
from slipstream.local.strict.record_conversion import convert
from slipstream.monitoring.traffic import traffic_from_rows
from slipstream.warehouse.schema import capture_columns, captures_table

FEATURES = [("mean radius", "numeric"), ("plan", "categorical")]
TIMESTAMP_FORMATS = ["yyyy-MM-dd'T'HH:mm:ss.SSSZZ"]  # cdk/serving/capture_stream.py


def written_rows() -> list[dict]:
    instances = [{"mean radius": 14.2, "plan": "pro"}, {"mean radius": 9.5, "plan": "basic"}]
    body = {"request_id": "r-1", "variant": "champion", "model_version": "3", "predictions": ["yes", "no"]}
    body["probabilities"] = [{"no": 0.2, "yes": 0.8}, {"no": 0.9, "yes": 0.1}]
    return capture_rows(body, "churn-champion", 12.5, instances, capture_columns([name for name, _ in FEATURES]))


def glue_columns() -> list[dict]:
    table = captures_table("classification", FEATURES)
    return [{"Name": c.name, "Type": c.type} for c in table.columns]


def json_lines(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def test_parquet_rows_are_the_json_rows() -> None:
    rows = written_rows()
    converted = convert([json_lines(rows)], glue_columns(), TIMESTAMP_FORMATS)
    assert converted.failed == []
    read, skipped = object_rows(converted.parquet or b"")
    assert skipped == 0
    columns = [c["Name"] for c in glue_columns()]
    assert read == [{name: row.get(name) for name in columns} for row in rows]  # maps as dicts, times as text


@pytest.mark.parametrize("encode", [lambda b: b, gzip.compress], ids=["plain", "gzip"])
def test_json_lines_objects_are_still_read(encode) -> None:
    rows = written_rows()
    read, skipped = object_rows(encode(json_lines(rows) + b'{"torn": '))
    assert read == rows and skipped == 1


def test_both_make_the_same_traffic() -> None:
    rows = written_rows()
    from_json = traffic_from_rows(object_rows(json_lines(rows))[0], ["mean radius", "plan"])
    parquet = convert([json_lines(rows)], glue_columns(), TIMESTAMP_FORMATS).parquet or b""
    from_parquet = traffic_from_rows(object_rows(parquet)[0], ["mean radius", "plan"])
    pd.testing.assert_frame_equal(from_parquet.features, from_json.features)
    pd.testing.assert_frame_equal(from_parquet.meta, from_json.meta)
