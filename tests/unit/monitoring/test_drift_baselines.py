"""A baseline the drift Lambda may not read fails the run; only a missing one is data."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from lambdas.drift.sources import load_baselines


class RefusingS3:
    def __init__(self, code: str) -> None:
        self.code = code

    def get_object(self, **_: str) -> None:
        raise ClientError({"Error": {"Code": self.code, "Message": "refused"}}, "GetObject")


def test_an_access_denied_baseline_fails_the_run_instead_of_a_warning() -> None:
    with pytest.raises(ClientError, match="AccessDenied"):
        load_baselines(RefusingS3("AccessDenied"), {"3": "s3://artifacts/models/r3/baseline.json"}, ["3"])


def test_a_missing_baseline_leaves_that_version_without_drift() -> None:
    found = load_baselines(RefusingS3("NoSuchKey"), {"3": "s3://artifacts/models/r3/baseline.json"}, ["3"])
    assert found == {"3": None}
