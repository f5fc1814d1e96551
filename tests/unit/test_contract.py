"""The data contract: how it is built, the absolute rules, drift against it, and how it is stored."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slipstream.config import Config, parse_config
from slipstream.contract import Contract, Feature, build_contract, read_contract, write_contract
from slipstream.contract_rules import check_absolute, compare
from slipstream.errors import DataError


def make_config(task: str = "classification", **data: object) -> Config:
    fields = {"source": "data.csv", "target": "label", "task": task, "min_rows": 10, **data}
    return parse_config({"data": fields}, base_dir=Path("."))


def make_frame(rows: int = 20) -> pd.DataFrame:
    """Distinct rows: a numeric feature 0..rows-1, a colour, and two classes."""
    return pd.DataFrame(
        {
            "size": np.arange(rows, dtype=float),
            "colour": ["red", "blue"] * (rows // 2),
            "label": ["yes", "no", "no", "yes"] * (rows // 4),
        }
    )


# --- building ------------------------------------------------------------------------------------------------
def test_contract_describes_each_feature() -> None:
    frame = make_frame().assign(flag=[True, False] * 10)
    frame.loc[0, "size"] = np.nan

    contract = build_contract(frame, make_config())

    size, colour, flag = contract.features
    assert (size.name, size.kind, size.dtype, size.min, size.max, size.null_rate) == (
        "size",
        "numeric",
        "float64",
        1.0,
        19.0,
        0.05,
    )
    assert size.categories is None
    assert (colour.kind, colour.categories, colour.min) == ("categorical", ["blue", "red"], None)
    assert (flag.kind, flag.categories) == ("categorical", ["False", "True"])  # booleans are two values, not numbers
    assert (contract.labels, contract.row_count, contract.duplicate_rate) == (["no", "yes"], 20, 0.0)


def test_regression_contract_has_no_labels() -> None:
    frame = make_frame().assign(label=np.linspace(0, 1, 20))

    assert build_contract(frame, make_config("regression")).labels is None


def test_contract_round_trips_through_its_file(tmp_path: Path) -> None:
    contract = build_contract(make_frame(), make_config())
    path = tmp_path / "state" / "contract.json"

    write_contract(contract, path)

    assert read_contract(path) == contract
    assert json.loads(path.read_text())["features"][0]["name"] == "size"


def test_failed_write_keeps_the_old_contract_and_leaves_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "contract.json"
    write_contract(build_contract(make_frame(), make_config()), path)
    before = path.read_text()

    def refuse(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("slipstream.contract.os.replace", refuse)
    with pytest.raises(OSError, match=r"disk full"):
        write_contract(build_contract(make_frame(40), make_config()), path)

    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["contract.json"]


def test_missing_contract_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"data contract not found: .*contract.json"):
        read_contract(tmp_path / "contract.json")


def test_invalid_contract_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "contract.json").write_text('{"version": 1, "target": "label"}')

    with pytest.raises(DataError, match=r"contract.json: not a valid data contract") as error:
        read_contract(tmp_path / "contract.json")
    assert "features" in str(error.value)


def test_categorical_feature_without_categories_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'colour' needs categories"):
        Feature(name="colour", kind="categorical", dtype="object", null_rate=0.0)


# --- absolute rules -------------------------------------------------------------------------------------------
def test_good_data_breaks_no_absolute_rule() -> None:
    assert check_absolute(make_frame(), make_config()) == []


def test_too_few_rows() -> None:
    assert check_absolute(make_frame(8), make_config()) == ["only 8 rows; at least 10 are needed (data.min_rows)"]


def test_missing_target_column_is_the_only_problem_reported() -> None:
    assert check_absolute(make_frame().drop(columns="label"), make_config()) == ["target column 'label' not found"]


def test_null_targets_are_counted() -> None:
    frame = make_frame()
    frame.loc[[1, 2], "label"] = None

    assert check_absolute(frame, make_config()) == ["target 'label' has 2 null values; every row needs one"]


def test_single_class_is_named() -> None:
    frame = make_frame().assign(label="yes")

    assert check_absolute(frame, make_config()) == [
        "target 'label' has a single class 'yes'; classification needs at least 2 classes"
    ]


def test_regression_target_must_be_numeric_and_offending_values_are_shown() -> None:
    frame = make_frame().assign(label=["1.5", "cheap", "2", "n/a"] * 5)

    (problem,) = check_absolute(frame, make_config("regression"))

    assert problem.startswith("regression target 'label' is not numeric (dtype object)")
    assert "first offending values: 'cheap', 'n/a', 'cheap'" in problem


def test_numeric_regression_target_passes() -> None:
    assert check_absolute(make_frame().assign(label=np.arange(20.0)), make_config("regression")) == []


def test_all_null_feature_is_named() -> None:
    frame = make_frame().assign(empty=np.nan)

    assert check_absolute(frame, make_config()) == ["feature 'empty' is entirely null"]


def test_duplicate_rate_over_the_limit() -> None:
    frame = pd.concat([make_frame(), make_frame().head(2)], ignore_index=True)

    assert check_absolute(frame, make_config(max_duplicate_rate=0.05)) == [
        "9.1% of rows are duplicates (2 of 22); at most 5.0% allowed"
    ]
    assert check_absolute(frame, make_config(max_duplicate_rate=0.1)) == []


def test_at_least_one_feature() -> None:
    (problem,) = check_absolute(make_frame()[["label"]], make_config(max_duplicate_rate=1))

    assert problem == "no feature columns: only the target 'label' is left after ignore_columns"


# --- drift against an existing contract ----------------------------------------------------------------------
@pytest.fixture
def contract() -> Contract:
    return build_contract(make_frame(), make_config())


def test_same_data_matches_its_contract(contract: Contract) -> None:
    assert compare(make_frame(), contract, make_config()) == []


def test_missing_and_new_columns_are_named(contract: Contract) -> None:
    frame = make_frame().drop(columns="colour").assign(weight=1.0)

    assert compare(frame, contract, make_config()) == [
        "column 'colour': missing (the contract expects it)",
        "column 'weight': not in the contract (unexpected new column)",
    ]


def test_kind_change_is_named(contract: Contract) -> None:
    frame = make_frame().assign(size=["small", "large"] * 10)

    assert compare(frame, contract, make_config()) == ["column 'size': was numeric, is now categorical (dtype object)"]


def test_values_past_the_tolerance_are_counted_with_the_observed_range(contract: Contract) -> None:
    frame = make_frame().assign(size=np.r_[np.arange(18.0), 21.0, 25.0])  # span 19, 10% tolerance: up to 20.9

    (problem,) = compare(frame, contract, make_config(range_tolerance=0.1))

    assert problem.startswith("column 'size': 2 values outside the allowed range [-1.9, 20.9]")
    assert problem.endswith("observed 0 to 25")


def test_values_within_the_tolerance_pass(contract: Contract) -> None:
    frame = make_frame().assign(size=np.r_[np.arange(19.0), 20.5])

    assert compare(frame, contract, make_config(range_tolerance=0.1)) == []


def test_grown_null_rate_is_named(contract: Contract) -> None:
    frame = make_frame()
    frame.loc[:1, "colour"] = None  # 10% null, the contract saw none

    assert compare(frame, contract, make_config(null_rate_tolerance=0.05)) == [
        "column 'colour': null rate grew to 10.0% from 0.0% (at most 5.0% more allowed)"
    ]
    assert compare(frame, contract, make_config(null_rate_tolerance=0.1)) == []


def test_unseen_categories_are_named_up_to_five(contract: Contract) -> None:
    frame = make_frame().assign(colour=[f"c{i}" for i in range(7)] + ["red"] * 13)

    assert compare(frame, contract, make_config()) == [
        "column 'colour': 7 unseen categories: 'c0', 'c1', 'c2', 'c3', 'c4' and 2 more"
    ]


def test_unseen_labels_are_named(contract: Contract) -> None:
    frame = make_frame().assign(label=["yes", "no", "maybe", "no"] * 5)

    assert compare(frame, contract, make_config()) == ["target 'label': unseen label values: 'maybe'"]


def test_changed_target_or_task_is_named(contract: Contract) -> None:
    frame = make_frame().rename(columns={"label": "outcome"})

    assert compare(frame, contract, make_config(target="outcome")) == [
        "target changed: the contract has 'label', the config has 'outcome'"
    ]
    assert compare(make_frame(), contract, make_config("regression")) == [
        "task changed: the contract has 'classification', the config has 'regression'"
    ]
