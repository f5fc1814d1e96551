"""An object key with `, ( ) & '` (ordinary in a file name) goes all the way through Register.

SageMaker refuses a CustomerMetadataProperties value outside `[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*`, and the
emulated account refuses it too, so this run failed at Register after training while `data` was the raw key.
The run is conftest's first deployment in `deployed` (test_branches.py asserts its path): its data has this key."""

from __future__ import annotations

import pytest

from tests.statemachine.conftest import ODD_KEY_NAME, RUNS_GROUP
from tests.statemachine.matrix import assert_first_deployment, metadata_character

pytestmark = [RUNS_GROUP, pytest.mark.slow]


def test_a_key_with_punctuation_registers_and_deploys(deployed):
    outcome = deployed["happy"]
    assert outcome.status == "SUCCEEDED", outcome.end
    assert "Register" in outcome.path and outcome.path[-1] == "Deployed"
    assert outcome.packages == {"first-deploy": "Approved"}
    package = assert_first_deployment(outcome, project="breast-cancer")
    for name, value in package["CustomerMetadataProperties"].items():  # every value, not only `data`
        assert len(value) <= 256 and all(map(metadata_character, value)), f"{name}={value!r}"
    assert ODD_KEY_NAME in outcome.record["champion"]["model_card"]  # the card still names the data it was trained on


def test_the_package_names_the_data_readably_and_the_run_keeps_the_exact_key(deployed_account):
    outcome, uri = deployed_account.outcomes["happy"], deployed_account.happy_data
    label = outcome.package_details["first-deploy"]["CustomerMetadataProperties"]["data.source"]
    assert ODD_KEY_NAME in uri
    assert label == uri.replace(ODD_KEY_NAME, "cohort =282024=29=2C v2 =26 Bob=27s.csv")
    assert (
        deployed_account.happy_validation["source"] == uri
    )  # the exact key, byte for byte, next to the run's contract
