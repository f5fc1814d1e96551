"""The ValidateData step: rules, contract, baseline and the held-out split, as one plain function."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slipstream.config import Config, parse_config
from slipstream.dataset import load_dataset
from slipstream.errors import ContractViolation, DataError
from slipstream.steps.validate import split, validate_data


def make_config(task: str = "classification", **data: object) -> Config:
    fields = {"source": "data.csv", "target": "label", "task": task, "min_rows": 10, **data}
    return parse_config({"data": fields}, base_dir=Path("."))


def make_frame(rows: int = 40) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "size": np.arange(rows, dtype=float),
            "colour": ["red", "blue"] * (rows // 2),
            "label": ["yes", "no", "no", "no"] * (rows // 4),
            "row_id": [f"r{i}" for i in range(rows)],
        }
    )


@pytest.fixture(scope="module")
def breast_cancer() -> tuple[pd.DataFrame, Config]:
    config = parse_config(
        {"data": {"source": "sklearn:breast_cancer", "target": "target", "task": "classification"}},
        base_dir=Path("."),
    )
    return load_dataset(config), config


def test_bundled_breast_cancer_passes_and_gets_a_new_contract(breast_cancer) -> None:
    frame, config = breast_cancer

    result = validate_data(frame, config, None)

    assert result.is_new_contract
    assert len(result.contract.features) == 30
    assert result.contract.labels == ["benign", "malignant"]
    assert (len(result.train), len(result.test)) == (455, 114)
    assert all(rule["status"] in {"passed", "skipped"} for rule in result.report["rules"].values())
    json.dumps(result.report)  # the runner stores it as JSON


def test_existing_contract_is_kept_when_the_data_still_matches(breast_cancer) -> None:
    frame, config = breast_cancer
    contract = validate_data(frame, config, None).contract

    result = validate_data(frame, config, contract)

    assert result.contract is contract
    assert not result.is_new_contract
    assert result.report["rules"]["contract.ranges"] == {"status": "passed", "problems": []}


def test_drift_raises_contract_violation_listing_every_problem() -> None:
    config = make_config(ignore_columns=["row_id"])
    contract = validate_data(make_frame(), config, None).contract
    drifted = make_frame().assign(colour=["green", "blue"] * 20, size=np.arange(40.0) * 10)

    with pytest.raises(ContractViolation, match=r"data contract violated: data.csv") as error:
        validate_data(drifted, config, contract)

    assert [detail.split(":")[0] for detail in error.value.details] == ["column 'size'", "column 'colour'"]


def test_broken_absolute_rule_raises_data_error_not_contract_violation() -> None:
    with pytest.raises(DataError, match=r"data contract violated: data.csv") as error:
        validate_data(make_frame().assign(label="yes"), make_config(), None)

    assert not isinstance(error.value, ContractViolation)
    assert error.value.details == ["target 'label' has a single class 'yes'; classification needs at least 2 classes"]


def test_ignored_columns_are_dropped_before_any_rule() -> None:
    frame = make_frame().assign(notes=np.nan)  # entirely null, but ignored: not a problem
    config = make_config(ignore_columns=["row_id", "notes"])

    result = validate_data(frame, config, None)

    assert [feature.name for feature in result.contract.features] == ["size", "colour"]
    assert list(result.train.columns) == list(result.test.columns) == ["size", "colour", "label"]
    assert set(result.baseline["features"]) == {"size", "colour"}
    assert result.report["ignored_columns"] == ["row_id", "notes"]


def test_split_is_stratified_and_uses_the_test_share() -> None:
    train, test = split(make_frame(), make_config(test_size=0.25))

    assert (len(train), len(test)) == (30, 10)
    assert test["label"].value_counts().to_dict() == {"no": 8, "yes": 2}  # same 3:1 mix as the whole
    assert set(train.index).isdisjoint(test.index)


def test_split_is_deterministic_by_seed() -> None:
    first, _ = split(make_frame(), make_config(seed=1))
    again, _ = split(make_frame(), make_config(seed=1))
    other, _ = split(make_frame(), make_config(seed=2))

    assert list(first.index) == list(again.index) != list(other.index)


def test_every_class_keeps_a_row_in_train() -> None:
    frame = make_frame().assign(label=["maybe", "maybe"] + ["no"] * 38)

    train, test = split(frame, make_config(test_size=0.5))

    assert set(train["label"]) == {"maybe", "no"}
    assert len(test) == 20


def test_class_with_a_single_row_is_refused_by_name() -> None:
    frame = make_frame().assign(label=["rare"] + ["no", "yes"] * 19 + ["no"])

    with pytest.raises(DataError, match=r"class 'rare' of target 'label' has 1 row"):
        validate_data(frame, make_config(ignore_columns=["row_id"]), None)


def test_regression_split_is_not_stratified() -> None:
    config = make_config("regression", ignore_columns=["row_id"])

    result = validate_data(make_frame().assign(label=np.arange(40.0)), config, None)

    assert (len(result.train), len(result.test)) == (32, 8)
    assert result.report["split"]["stratified"] is False
    assert result.baseline["target"]["kind"] == "quantiles"


def test_baseline_describes_the_training_split() -> None:
    result = validate_data(make_frame(), make_config(ignore_columns=["row_id"]), None)

    assert result.baseline["row_count"] == len(result.train)


def test_step_modules_do_not_import_scikit_learn() -> None:
    # The ValidateData Lambda has pandas, numpy, pyarrow and pydantic, but not scikit-learn.
    code = (
        "import sys, slipstream.steps.validate, slipstream.dataset, slipstream.contract, slipstream.contract_rules;"
        "import slipstream.baseline;"
        "sys.exit('sklearn' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
