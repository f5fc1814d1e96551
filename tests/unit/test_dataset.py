"""Loading `data.source`: bundled scikit-learn datasets, CSV and Parquet files, and every way they fail."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from slipstream.config import Config, parse_config
from slipstream.dataset import data_sha256, drop_ignored, load_dataset
from slipstream.errors import DataError


def make_config(tmp_path: Path, source: str, **data: object) -> Config:
    fields = {"source": source, "target": "label", "task": "classification", **data}
    return parse_config({"data": fields}, base_dir=tmp_path)


def small_frame() -> pd.DataFrame:
    return pd.DataFrame({"size": [1.0, 2.0, 3.0], "colour": ["red", "blue", "red"], "label": ["a", "b", "a"]})


# --- bundled datasets ---------------------------------------------------------------------------------------
def test_breast_cancer_loads_with_readable_labels_under_the_configured_target_name(tmp_path: Path) -> None:
    frame = load_dataset(make_config(tmp_path, "sklearn:breast_cancer", target="diagnosis"))

    assert frame.shape == (569, 31)
    assert set(frame["diagnosis"]) == {"malignant", "benign"}
    assert "target" not in frame.columns


def test_bundled_regression_dataset_keeps_a_numeric_target(tmp_path: Path) -> None:
    frame = load_dataset(make_config(tmp_path, "sklearn:diabetes", target="target", task="regression"))

    assert pd.api.types.is_float_dtype(frame["target"])


@pytest.mark.parametrize("name", ["california_housing", "mnist"])
def test_datasets_that_are_not_bundled_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(DataError, match=f"sklearn:{name}: not a dataset bundled") as error:
        load_dataset(make_config(tmp_path, f"sklearn:{name}"))
    assert "breast_cancer" in str(error.value)


def test_target_name_that_is_already_a_bundled_feature_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"'mean radius' is already a feature"):
        load_dataset(make_config(tmp_path, "sklearn:breast_cancer", target="mean radius"))


# --- files --------------------------------------------------------------------------------------------------
def test_csv_loads_relative_to_the_config_folder(tmp_path: Path) -> None:
    small_frame().to_csv(tmp_path / "data.csv", index=False)

    frame = load_dataset(make_config(tmp_path, "data.csv"))

    pd.testing.assert_frame_equal(frame, small_frame())


@pytest.mark.parametrize("name", ["data.parquet", "data.pq"])
def test_parquet_loads(tmp_path: Path, name: str) -> None:
    small_frame().to_parquet(tmp_path / name, index=False)

    frame = load_dataset(make_config(tmp_path, name))

    pd.testing.assert_frame_equal(frame, small_frame())


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"data file not found: .*nowhere.csv"):
        load_dataset(make_config(tmp_path, "nowhere.csv"))


def test_zero_byte_file_is_named_as_empty(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")

    with pytest.raises(DataError, match=r"empty.csv: file is empty \(0 bytes\)"):
        load_dataset(make_config(tmp_path, "empty.csv"))


def test_header_without_rows_is_named(tmp_path: Path) -> None:
    (tmp_path / "header.csv").write_text("size,label\n")

    with pytest.raises(DataError, match=r"header.csv: has no rows \(columns: 'size', 'label'\)"):
        load_dataset(make_config(tmp_path, "header.csv"))


def test_unsupported_extension_is_named(tmp_path: Path) -> None:
    (tmp_path / "data.xlsx").write_bytes(b"not really excel")

    with pytest.raises(DataError, match=r"data.xlsx: unsupported file type '.xlsx'") as error:
        load_dataset(make_config(tmp_path, "data.xlsx"))
    assert ".parquet" in str(error.value)


def test_corrupt_parquet_is_named_as_unreadable(tmp_path: Path) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"this is not parquet")

    with pytest.raises(DataError, match=r"broken.parquet: cannot be read as parquet"):
        load_dataset(make_config(tmp_path, "broken.parquet"))


def test_missing_target_lists_the_columns_available(tmp_path: Path) -> None:
    small_frame().to_csv(tmp_path / "data.csv", index=False)

    with pytest.raises(DataError, match=r"data.csv: target column 'species' not found") as error:
        load_dataset(make_config(tmp_path, "data.csv", target="species"))
    assert "columns available: 'size', 'colour', 'label'" in str(error.value)


def test_unknown_ignore_columns_are_named(tmp_path: Path) -> None:
    small_frame().to_csv(tmp_path / "data.csv", index=False)

    with pytest.raises(DataError, match=r"ignore_columns names columns not in data.csv: 'colour_code'"):
        load_dataset(make_config(tmp_path, "data.csv", ignore_columns=["colour_code"]))


@pytest.mark.parametrize("key", ["sensitive", "identifiers"])
def test_unknown_sensitive_or_identifier_columns_are_named(tmp_path: Path, key: str) -> None:
    small_frame().to_csv(tmp_path / "data.csv", index=False)

    with pytest.raises(DataError, match=rf"data.{key} names columns not in data.csv: 'patient_id'") as error:
        load_dataset(make_config(tmp_path, "data.csv", **{key: ["colour", "patient_id"]}))
    assert "columns available: 'size', 'colour', 'label'" in str(error.value)


def test_sensitive_and_identifier_columns_may_be_ignored_columns(tmp_path: Path) -> None:
    small_frame().to_csv(tmp_path / "data.csv", index=False)
    config = make_config(tmp_path, "data.csv", ignore_columns=["colour"], sensitive=["colour"], identifiers=["size"])

    assert list(load_dataset(config).columns) == ["size", "colour", "label"]


def test_drop_ignored_removes_only_the_ignored_columns(tmp_path: Path) -> None:
    frame = drop_ignored(small_frame(), make_config(tmp_path, "data.csv", ignore_columns=["colour"]))

    assert list(frame.columns) == ["size", "label"]


# --- lineage hash -------------------------------------------------------------------------------------------
def test_file_hash_follows_the_content_not_the_name(tmp_path: Path) -> None:
    small_frame().to_csv(tmp_path / "a.csv", index=False)
    small_frame().to_csv(tmp_path / "b.csv", index=False)
    small_frame().head(2).to_csv(tmp_path / "c.csv", index=False)

    first, same, other = (data_sha256(make_config(tmp_path, name)) for name in ("a.csv", "b.csv", "c.csv"))

    assert first == same != other
    assert len(first) == 64


def test_bundled_dataset_hash_is_stable(tmp_path: Path) -> None:
    config = make_config(tmp_path, "sklearn:iris")

    assert data_sha256(config) == data_sha256(config)
    assert data_sha256(config) != data_sha256(make_config(tmp_path, "sklearn:wine"))


def test_hash_of_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"data file not found: .*gone.csv"):
        data_sha256(make_config(tmp_path, "gone.csv"))
