"""The saved emulated account's file: an unreadable or foreign one is refused with how to start over."""

from __future__ import annotations

import pickle

import pytest

from slipstream.local.stepfunctions import saved_account
from slipstream.local.stepfunctions.saved_account import FILE_NAME, SavedAccountError


def test_nothing_saved_yet_is_a_new_account(tmp_path):
    assert saved_account.load(tmp_path / "aws" / "dev") is None


def test_a_saved_account_reads_back(tmp_path):
    saved_account.save(tmp_path, {"moto.s3.models:s3_backends": {}})
    assert saved_account.load(tmp_path) == {"moto.s3.models:s3_backends": {}}
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]  # no partial file left behind


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not a pickle", "it is unreadable (UnpicklingError"),
        (pickle.dumps(["a list"]), "it is not a saved Slipstream account"),
        (pickle.dumps({"format": 0, "moto": "5.2.5"}), "it has format 0"),
        (pickle.dumps({"format": saved_account.FORMAT, "moto": "4.0.0"}), "it was written by moto 4.0.0"),
        (pickle.dumps({"format": saved_account.FORMAT, "moto": __import__("moto").__version__}), "unreadable"),
    ],
)
def test_an_unusable_file_is_refused_naming_it_and_how_to_reset(tmp_path, content, reason):
    (tmp_path / FILE_NAME).write_bytes(content)  # the last case: a valid header, then a truncated file
    with pytest.raises(SavedAccountError) as error:
        saved_account.load(tmp_path)
    message = str(error.value)
    assert str(tmp_path / FILE_NAME) in message and reason in message
    assert "--fresh" in message and f"delete {tmp_path}" in message


def test_reset_forgets_the_account(tmp_path):
    saved_account.save(tmp_path / "dev", {})
    saved_account.reset(tmp_path / "dev")
    assert saved_account.load(tmp_path / "dev") is None
