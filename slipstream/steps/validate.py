"""ValidateData: is this data fit to train on, and does it still match the data contract?

A plain function: the Lambda handler and the local runner read the data and the contract, call
`validate_data`, and store what it returns. No scikit-learn here (the Lambda does not have it), so the
held-out split is done with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from slipstream.baseline import baseline_statistics
from slipstream.config import Config
from slipstream.contract import Contract, Problems, build_contract
from slipstream.contract_rules import absolute_outcomes, compare_outcomes, profile_for_rules
from slipstream.dataset import drop_ignored
from slipstream.errors import ContractViolation, DataError
from slipstream.steps.training_drift import drift_problems, training_drift


@dataclass(frozen=True)
class ValidationResult:
    contract: Contract  # the one given, or a new one built from this data
    is_new_contract: bool  # True: the caller should write `contract` (nothing was there to compare against)
    baseline: dict[str, Any]  # statistics of the training split, for drift monitoring
    train: pd.DataFrame  # ignored columns dropped; original row index kept for tracing rows back
    test: pd.DataFrame  # held out: only evaluation sees it
    report: dict[str, Any]  # JSON-able summary: rows, columns, each rule's outcome, the split


def validate_data(df: pd.DataFrame, config: Config, contract: Contract | None) -> ValidationResult:
    """Check `df` and split it into train and test.

    Raises DataError when an absolute rule breaks (too few rows, a single class, ...), and
    ContractViolation when `df` no longer matches `contract`; both list every problem in `details`.
    """
    df = drop_ignored(df, config)  # ignored columns take no part in any rule, the contract or the split
    source = config.data.source
    if config.data.target not in df.columns:
        _raise_if_broken(absolute_outcomes(df, config), DataError, source)
    facts = profile_for_rules(df, config)  # one pass: every rule and the new contract read it
    absolute = absolute_outcomes(df, config, facts)
    _raise_if_broken(absolute, DataError, source)
    drift: Problems = {}
    if contract is not None:
        drift = compare_outcomes(df, contract, config, facts)
        _raise_if_broken(drift, ContractViolation, source)
    shift = training_drift(df, contract.baseline if contract is not None else None, config)
    if shift["status"] == "drift" and shift["action"] == "refuse":
        raise ContractViolation(
            f"data drifted from the data contract's baseline: {source}", details=drift_problems(shift)
        )
    is_new = contract is None
    contract = contract or build_contract(df, config, facts)
    train, test = split(df, config)
    baseline = baseline_statistics(train, contract)
    if is_new:  # the baseline later data is compared with before training travels with the contract
        contract = contract.model_copy(update={"baseline": baseline})
    report = _report(df, config, absolute, drift, is_new, train, test)
    return ValidationResult(
        contract=contract,
        is_new_contract=is_new,
        baseline=baseline,
        train=train,
        test=test,
        report={**report, "training_drift": shift},
    )


def split(df: pd.DataFrame, config: Config) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Held-out split, the same for the same data and seed; stratified by label for classification.

    Every class keeps at least one row in train; a class with fewer than 2 rows is refused, because it
    could never be both learned and evaluated.
    """
    rng = np.random.default_rng(config.data.seed)
    share = config.data.test_size
    if config.data.task == "regression":
        order = rng.permutation(len(df))
        test_positions = order[: _test_count(len(df), share)]
    else:
        test_positions = np.concatenate(
            [rng.permutation(rows)[:count] for rows, count in _test_counts_per_class(df, config)]
        )
    is_test = np.zeros(len(df), dtype=bool)
    is_test[test_positions] = True
    if is_test.all() or not is_test.any():
        raise DataError(f"{config.data.source}: {len(df)} rows cannot be split with test_size {share}")
    return df[~is_test], df[is_test]


def _test_count(rows: int, share: float) -> int:
    # At least one row on each side: an empty test set would pass any quality gate.
    return min(max(round(rows * share), 1), rows - 1)


def _test_counts_per_class(df: pd.DataFrame, config: Config) -> list[tuple[np.ndarray, int]]:
    """Row positions of each class and how many of them go to test (total as close to test_size as can be)."""
    labels = df[config.data.target].astype(str).to_numpy()
    classes = sorted(set(labels))  # sorted, so the random draws do not depend on row order
    positions = [np.flatnonzero(labels == label) for label in classes]
    for label, rows in zip(classes, positions, strict=True):
        if len(rows) < 2:
            raise DataError(
                f"{config.data.source}: class {label!r} of target {config.data.target!r} has {len(rows)} row;"
                " at least 2 are needed (one to train on, one to test)"
            )
    exact = [len(rows) * config.data.test_size for rows in positions]
    counts = [int(value) for value in exact]
    # Largest remainders get the leftover rows, so the total matches round(rows * test_size).
    leftover = _test_count(len(df), config.data.test_size) - sum(counts)
    by_remainder = sorted(range(len(classes)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: max(leftover, 0)]:
        counts[i] += 1
    return [(rows, min(count, len(rows) - 1)) for rows, count in zip(positions, counts, strict=True)]


def _raise_if_broken(outcomes: Problems, error: type[DataError], source: str) -> None:
    problems = [problem for found in outcomes.values() for problem in found]
    if problems:
        raise error(f"data contract violated: {source}", details=problems)


def _report(
    df: pd.DataFrame,
    config: Config,
    absolute: Problems,
    drift: Problems,
    is_new: bool,
    train: pd.DataFrame,
    test: pd.DataFrame,
) -> dict[str, Any]:
    rules = {name: _outcome(problems) for name, problems in absolute.items()}
    rules |= {f"contract.{name}": _outcome(problems) for name, problems in drift.items()}
    if is_new:
        rules["contract"] = {"status": "skipped", "problems": [], "why": "no contract yet: this run writes it"}
    return {
        "source": config.data.source,
        "rows": len(df),
        "columns": [str(name) for name in df.columns],
        "ignored_columns": list(config.data.ignore_columns),
        "target": config.data.target,
        "task": config.data.task,
        "contract": "new" if is_new else "existing",
        "rules": rules,
        "split": {
            "train_rows": len(train),
            "test_rows": len(test),
            "test_size": config.data.test_size,
            "seed": config.data.seed,
            "stratified": config.data.task == "classification",
        },
    }


def _outcome(problems: list[str]) -> dict[str, Any]:
    return {"status": "failed" if problems else "passed", "problems": problems}
