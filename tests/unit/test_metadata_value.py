"""Model package metadata values made from any S3 key (a file name may hold `, ( ) & '`): always valid for
SageMaker, still readable."""

from __future__ import annotations

import botocore.session
import pytest

from lambdas.common.metadata import MAX_LENGTH, metadata_value
from slipstream.local.strict.params import violations

CREATE_PACKAGE = botocore.session.get_session().get_service_model("sagemaker").operation_model("CreateModelPackage")


def refused(value: str) -> list[str]:
    params = {"ModelPackageGroupName": "group", "CustomerMetadataProperties": {"data": value}}
    return [v.message() for v in violations(CREATE_PACKAGE, params)]


@pytest.mark.parametrize(
    "key",
    [
        "incoming/cohort-2024,v2.csv",
        "incoming/cohort (2024), v2 & Bob's.csv",
        "incoming/naïve 数据 ½, half.csv",  # letters and numbers of any script stay as they are
        "incoming/tab\tnew\nline\x00nul.csv",
        "incoming/" + "very, long name " * 80 + "end.csv",
    ],
)
def test_every_key_gives_a_value_sagemaker_accepts(key):
    uri = f"s3://data-bucket/{key}"
    assert refused(uri)  # the raw URI is refused by the service (here: the emulated one)...
    assert refused(metadata_value(uri)) == []  # ...its label never is


def test_the_label_is_readable_and_escapes_reversibly():
    assert metadata_value("s3://b/incoming/cohort-2024,v2.csv") == "s3://b/incoming/cohort-2024=2Cv2.csv"
    assert metadata_value("s3://b/a=b é.csv") == "s3://b/a=3Db é.csv"  # "=" escaped too: the label decodes
    assert metadata_value("s3://b/incoming/ok-name_1.csv") == "s3://b/incoming/ok-name_1.csv"


def test_a_long_label_keeps_the_bucket_and_the_file_name():
    label = metadata_value("s3://data-bucket/" + "deep/" * 100 + "cohort.csv")
    assert len(label) == MAX_LENGTH
    assert label.startswith("s3://data-bucket/deep/") and label.endswith("/deep/cohort.csv") and "..." in label
