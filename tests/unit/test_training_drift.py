"""Drift before training: ValidateData compares new data with the contract's baseline through monitoring's own
drift verdict, then warns or refuses; its false-alarm rate and its power, by seeded simulation (bounded: ~60
validations of 600 rows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slipstream.config import Config, parse_config
from slipstream.contract import Contract
from slipstream.errors import ContractViolation
from slipstream.model_card import _drift_lines
from slipstream.steps.training_drift import summary_line
from slipstream.steps.validate import validate_data

ROWS = 600


def _config(**data: object) -> Config:
    fields = {"source": "data.csv", "target": "label", "task": "classification", "min_rows": 10, **data}
    return parse_config({"data": fields}, base_dir=Path("."))


def _draw(rng: np.random.Generator, shift: float = 0.0, rows: int = ROWS) -> pd.DataFrame:
    """Two numeric features and a category; `shift` moves `income` by that many standard deviations, clipped to
    the original range so every contract rule (min/max, categories, nulls) still passes."""
    income = np.clip(rng.normal(50 + 10 * shift, 10, rows), 10, 90)
    return pd.DataFrame(
        {
            "income": income,
            "age": rng.uniform(18, 80, rows),
            "plan": rng.choice(["basic", "pro", "team"], rows, p=[0.5, 0.3, 0.2]),
            "label": rng.choice(["no", "yes"], rows, p=[0.7, 0.3]),
        }
    )


@pytest.fixture(scope="module")
def contract() -> Contract:
    frame = _draw(np.random.default_rng(0))
    frame.loc[0, "income"], frame.loc[1, "income"] = 10.0, 90.0  # the contract's range covers every draw
    result = validate_data(frame, _config(), None)
    assert result.is_new_contract and result.contract.baseline == result.baseline  # written with the contract
    assert result.report["training_drift"]["status"] == "skipped"
    # As every later run reads it: through contract.json (its -inf/+inf edges must survive the file).
    return Contract.model_validate_json(result.contract.model_dump_json())


def _found(contract: Contract, frame: pd.DataFrame, **data: object) -> dict:
    return validate_data(frame, _config(**data), contract).report["training_drift"]


def test_false_alarm_rate_stays_near_alpha(contract) -> None:
    alarms = sum(_found(contract, _draw(np.random.default_rng(100 + n)))["status"] == "drift" for n in range(40))
    assert alarms <= 4  # alpha 0.05 family-wise (Holm): ~2 of 40 expected; 4 is its 95th percentile


def test_a_shift_inside_the_known_range_is_caught(contract) -> None:
    found = [_found(contract, _draw(np.random.default_rng(200 + n), shift=0.6)) for n in range(20)]
    caught = sum(f["drifted"] == ["income"] for f in found)
    assert caught >= 19  # power of the test at 0.6 standard deviations and 600 rows
    feature = next(f for f in found[0]["features"] if f["name"] == "income")
    assert feature["psi"] >= 0.2 and feature["p_adjusted"] < 0.05


def test_warn_trains_and_says_so_in_the_summary_and_the_model_card(contract) -> None:
    found = _found(contract, _draw(np.random.default_rng(7), shift=1.0))
    assert found["status"] == "drift" and found["action"] == "warn"
    assert summary_line(found) == "data drift before training in income: trained anyway (on_training_drift = warn)"
    (line,) = _drift_lines(found)
    assert "**Drift before training**" in line and "`income` (PSI" in line


def test_refuse_stops_before_training_naming_the_feature(contract) -> None:
    with pytest.raises(ContractViolation, match="drifted from the data contract's baseline") as refused:
        validate_data(_draw(np.random.default_rng(7), shift=1.0), _config(on_training_drift="refuse"), contract)
    (problem,) = refused.value.details
    assert problem.startswith("income: distribution shifted") and "PSI" in problem


def test_a_higher_max_training_drift_lets_a_small_shift_pass(contract) -> None:
    frame = _draw(np.random.default_rng(7), shift=1.0)
    assert _found(contract, frame, max_training_drift=5.0)["status"] == "ok"


def test_a_contract_without_a_baseline_is_skipped_not_failed(contract) -> None:
    old = contract.model_copy(update={"baseline": None})
    found = _found(old, _draw(np.random.default_rng(7), shift=1.0))
    assert found["status"] == "skipped" and "no baseline" in found["why"]
    assert _drift_lines(found)[0].startswith("- Drift before training: not checked")
