"""The batch trigger's keys: S3 form-encodes them into its events; results go to a folder named by the whole
relative key; what is no file to score never starts a job."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

import pytest

from slipstream.batch_config import BatchConfig
from slipstream.batch_keys import locate

IN, OUT = "batch/in/", "batch/out/"


def _locate(event_key: str):
    return locate(
        "data", event_key, input_prefix=IN, output_prefix=OUT, summary_file="summary.json", manifest_bucket="artifacts"
    )


@pytest.mark.parametrize("key", ["batch/in/team a/März+1.csv", "batch/in/50% off (final).parquet", "batch/in/x.csv"])
def test_an_encoded_key_is_decoded_to_the_object_s_own(key: str) -> None:
    # S3's events: query-style encoding, `/` kept ("red flower.jpg" -> "red+flower.jpg").
    target = _locate(quote_plus(key, safe="/"))
    assert target.action == "score" and target.key == key
    assert target.input == f"s3://data/{key}"
    relative = key.removeprefix(IN)
    assert target.output_folder == f"s3://data/{OUT}{relative}/"
    assert target.summary_key == f"{OUT}{relative}/summary.json"


def test_the_same_name_in_two_folders_gets_two_output_folders() -> None:
    first, second = _locate("batch/in/a/scores.csv"), _locate("batch/in/b/scores.csv")
    assert first.output_folder != second.output_folder
    assert first.name == second.name == "scores.csv"


@pytest.mark.parametrize(
    "key",
    [
        "batch/in/folder/",  # the console's "Create folder"
        "batch/input/x.csv",  # a sibling prefix that shares the input prefix's letters
        "batch/out/x.csv/predictions.csv",  # a result
    ],
)
def test_what_is_no_file_to_score_is_ignored(key: str) -> None:
    target = _locate(quote_plus(key, safe="/"))
    assert target.action == "ignore" and target.reason


def test_a_file_of_another_type_is_refused_without_a_job() -> None:
    target = _locate("batch/in/patients.xlsx")
    assert target.action == "refuse" and ".csv" in target.reason and not target.input


@pytest.mark.parametrize("prefix", ["batch(1)/", "in put/", "a+b/", "ü/"])
def test_a_prefix_s3_would_encode_is_refused(prefix: str) -> None:
    # The trigger rule matches the prefix against the encoded key: it must read the same both ways.
    with pytest.raises(ValueError, match="input_prefix"):
        BatchConfig(input_prefix=prefix)


def test_the_jobs_input_is_a_manifest_naming_exactly_the_decoded_object() -> None:
    target = _locate(quote_plus("batch/in/team a/März+Q1/x.csv", safe="/"))
    assert json.loads(target.manifest) == [{"prefix": "s3://data/batch/in/team a/März+Q1/"}, "x.csv"]
    assert target.manifest_key == "batch/manifests/team a/März+Q1/x.csv.manifest.json"
    assert target.manifest_uri == "s3://artifacts/" + target.manifest_key
