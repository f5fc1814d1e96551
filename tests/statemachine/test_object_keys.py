"""An object key with `, ( ) & '` (ordinary in a file name) goes all the way through Register.

SageMaker refuses a CustomerMetadataProperties value outside `[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*`, and the
emulated account refuses it too, so this run failed at Register after training while `data` was the raw key.
One execution in an account of its own."""

from __future__ import annotations

import json

import pytest

from slipstream.local.stepfunctions.emulation import emulated_pipeline, upload_dataset
from tests.statemachine.conftest import STATEMACHINE_GROUP
from tests.statemachine.matrix import assert_first_deployment, metadata_character
from tests.statemachine.scenarios import Outcome, Pipeline

pytestmark = [STATEMACHINE_GROUP, pytest.mark.slow]
KEY_NAME = "cohort (2024), v2 & Bob's.csv"


@pytest.fixture(scope="module")
def odd_key(config, probe) -> tuple[Outcome, str, dict]:
    with emulated_pipeline(config) as world:
        key = upload_dataset(world, config, f"{config.stage('dev').data_prefix}{KEY_NAME}")
        outcome = Pipeline(world, probe).run("odd-key", key)
        report = world.client("s3").get_object(Bucket=world.artifact_bucket, Key="runs/odd-key/validation.json")
        return outcome, f"s3://{world.data_bucket}/{key}", json.loads(report["Body"].read())


def test_a_key_with_punctuation_registers_and_deploys(odd_key):
    outcome, _, _ = odd_key
    assert outcome.status == "SUCCEEDED", outcome.end
    assert "Register" in outcome.path and outcome.path[-1] == "Deployed"
    assert outcome.packages == {"odd-key": "Approved"}
    package = assert_first_deployment(outcome, project="breast-cancer")
    for name, value in package["CustomerMetadataProperties"].items():  # every value, not only `data`
        assert len(value) <= 256 and all(map(metadata_character, value)), f"{name}={value!r}"
    assert KEY_NAME in outcome.record["champion"]["model_card"]  # the card still names the data it was trained on


def test_the_package_names_the_data_readably_and_the_run_keeps_the_exact_key(odd_key):
    outcome, uri, report = odd_key
    label = outcome.package_details["odd-key"]["CustomerMetadataProperties"]["data.source"]
    assert label == uri.replace(KEY_NAME, "cohort =282024=29=2C v2 =26 Bob=27s.csv")
    assert report["source"] == uri  # the exact key, byte for byte, next to the run's contract
