"""Batch scoring on the emulated account: a file put under `[batch] input_prefix` goes through the synthesized
S3 -> EventBridge -> batch state machine path (cdk/batch/), whose processing job runs batch_score.py in the
image's Python with the champion's model.tar.gz; the results beside it are inference.py's answers row by row,
bad rows land in rejects.csv, and a job that fails is announced on the topic. The account is conftest's
`triggered` (tests/statemachine/triggered.py), shared with test_retrain_trigger.py."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.statemachine.conftest import TRIGGERS_GROUP
from tests.statemachine.triggered import FOLDERS

pytestmark = [TRIGGERS_GROUP, pytest.mark.slow]


@pytest.fixture(scope="module")
def scored(triggered) -> dict[str, Any]:
    """The account after a deployment and three batch files: clean, messy, and one the job cannot score."""
    deployed = triggered["deployed"]
    assert deployed.status == "SUCCEEDED", deployed.path
    return triggered["batch"]


def _frame(scored: dict[str, Any], path: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(scored["files"][path]))


def test_a_file_under_the_prefix_is_scored_as_the_endpoint_scores_it(scored) -> None:
    assert scored["statuses"]["clean.csv"][0] == "SUCCEEDED", scored["statuses"]["clean.csv"][1]
    clean, expected = _frame(scored, "clean.csv/predictions.csv"), scored["expected"]
    assert clean["row"].tolist() == list(range(1, 81))
    assert clean["prediction"].tolist() == expected["predictions"]
    for label in expected["classes"]:
        wanted = [p[label] for p in expected["probabilities"]]
        np.testing.assert_allclose(clean[f"probability_{label}"], wanted, rtol=1e-12, atol=1e-15)
    assert set(clean["model_version"].astype(str)) == {scored["version"]}
    summary = json.loads(scored["files"]["clean.csv/summary.json"])
    assert (summary["rows_read"], summary["rows_scored"], summary["rows_rejected"]) == (80, 80, 0)
    (message,) = scored["messages"]["clean.csv"]
    assert message["status"] == "scored"
    assert message["batch"]["model_version"] == scored["version"]
    assert message["batch"]["summary"]["rows_scored"] == 80


def test_bad_rows_go_to_the_rejects_file_beside_the_results(scored) -> None:
    assert scored["statuses"]["messy.csv"][0] == "SUCCEEDED", scored["statuses"]["messy.csv"][1]
    rejects = _frame(scored, "messy.csv/rejects.csv")
    assert rejects["row"].tolist() == [4, 11]  # data rows, from 1
    assert _frame(scored, "messy.csv/predictions.csv")["row"].tolist() == [r for r in range(1, 81) if r not in (4, 11)]
    (message,) = scored["messages"]["messy.csv"]
    assert message["batch"]["summary"]["rows_rejected"] == 2


def test_a_job_that_fails_is_announced_and_leaves_no_results(scored) -> None:
    assert scored["statuses"]["no-features.csv"][0] == "FAILED"
    assert not [key for key in scored["outputs"] if "no-features.csv" in key]
    (message,) = scored["messages"]["no-features.csv"]
    assert message["status"] == "failed"
    assert message["file"].endswith("no-features.csv")
    assert "batch" in message


def test_keys_are_decoded_and_each_file_has_its_own_output_folder(scored) -> None:
    into, out = scored["prefixes"]
    folders = {key.rsplit("/", 1)[0] for key in scored["outputs"]}
    assert folders == {f"{out}{FOLDERS['clean.csv']}", f"{out}{FOLDERS['messy.csv']}"}
    (message,) = scored["messages"]["clean.csv"]
    assert message["batch"]["input"].endswith(f"/{into}{FOLDERS['clean.csv']}")


def test_a_folder_marker_is_ignored_and_results_start_no_run(scored) -> None:
    assert scored["statuses"]["folder marker"][0] == "SUCCEEDED"
    assert scored["messages"]["folder marker"] == []  # nothing to announce
    assert scored["executions"] == 5  # one per object put under the input prefix


def test_a_longer_key_beside_the_file_stays_out_of_its_job_and_messages_show_decoded_keys(scored) -> None:
    # clean.csv's job succeeded beside `<its key>.bak` (its input is a manifest naming the one object).
    assert scored["statuses"]["clean.csv"][0] == "SUCCEEDED", scored["statuses"]["clean.csv"][1]
    into, _ = scored["prefixes"]
    assert scored["statuses"]["sibling"][0] == "FAILED"
    (refused,) = scored["messages"]["sibling"]
    assert refused["status"] == "failed" and refused["error"]["Error"] == "NotAFileToScore"
    assert refused["file"] == f"{into}{FOLDERS['clean.csv']}.bak"  # decoded: "März+Q1", not "M%C3%A4rz%2BQ1"
    (scored_message,) = scored["messages"]["clean.csv"]
    assert scored_message["file"] == f"{into}{FOLDERS['clean.csv']}"
