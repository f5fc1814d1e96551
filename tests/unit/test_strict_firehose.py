"""What the emulated Firehose writes to S3: object names and bodies as Firehose makes them."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from slipstream.local.strict import firehose

NOW = datetime(2026, 3, 7, 9, 5, 2, tzinfo=UTC)


def test_the_prefix_expressions_are_evaluated_and_the_default_time_part_is_not_added() -> None:
    assert firehose.evaluated_prefix("captures/data/!{timestamp:yyyy/MM/dd/HH}/", NOW) == "captures/data/2026/03/07/09/"


def test_a_prefix_without_a_timestamp_gets_the_default_time_part() -> None:
    assert firehose.evaluated_prefix("captures/", NOW) == "captures/2026/03/07/09/"
    assert len(firehose.evaluated_prefix("x/!{firehose:random-string}/", NOW).split("/")[1]) == 11


def test_an_expression_firehose_does_not_allow_in_a_prefix_is_named() -> None:
    with pytest.raises(firehose.UnsupportedDestination, match="error-output-type"):
        firehose.evaluated_prefix("x/!{firehose:error-output-type}/", NOW)


def test_the_object_is_named_by_stream_version_and_time_and_gzipped_as_configured() -> None:
    destination = {"Prefix": "p/!{timestamp:yyyy}/", "CompressionFormat": "GZIP"}
    key = firehose.object_key(destination, "stream", "1", NOW)
    assert key.startswith("p/2026/stream-1-2026-03-07-09-05-02-") and key.endswith(".gz")
    assert gzip.decompress(firehose.object_body(destination, [b"a\n", b"b\n"])) == b"a\nb\n"
    assert firehose.object_body({}, [b"a\n"]) == b"a\n"


def test_a_compression_the_emulation_cannot_write_is_named() -> None:
    with pytest.raises(firehose.UnsupportedDestination, match="not Snappy"):
        firehose.object_body({"CompressionFormat": "Snappy"}, [b"a"])
