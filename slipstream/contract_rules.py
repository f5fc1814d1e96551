"""The data contract's rules: absolute ones (enough rows, two classes, ...) and schema drift against a contract.

Each rule returns what is wrong (empty when it holds), every message naming the column and the reason.
The rules read one profile of the data (slipstream/data_profile.py) rather than asking pandas again; only the
range rule goes back to a column, and only when the profile shows values beyond the allowed range.
Only pandas: it runs in the ValidateData Lambda.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pandas as pd

from slipstream.config import Config
from slipstream.contract import SHOWN, Contract, Feature, Problems
from slipstream.data_profile import ColumnProfile, DataProfile, Kind, profile
from slipstream.errors import excerpt

Rule = Callable[[pd.DataFrame, Config, DataProfile], list[str]]


# --- rules that hold with or without a contract ------------------------------------------------------------
def check_absolute(df: pd.DataFrame, config: Config) -> list[str]:
    """Every broken absolute rule, one message each (empty when the data is usable)."""
    return _flatten(absolute_outcomes(df, config))


def profile_for_rules(df: pd.DataFrame, config: Config) -> DataProfile:
    """The profile every rule and the contract read: the target's values counted as text too."""
    return profile(df, text_columns=(config.data.target,))


def absolute_outcomes(df: pd.DataFrame, config: Config, facts: DataProfile | None = None) -> Problems:
    target = config.data.target
    if target not in df.columns:  # every other rule needs the target
        return {"target_present": [f"target column {target!r} not found"]}
    facts = facts or profile_for_rules(df, config)
    return {"target_present": [], **{name: rule(df, config, facts) for name, rule in ABSOLUTE_RULES.items()}}


def _enough_rows(df: pd.DataFrame, config: Config, facts: DataProfile) -> list[str]:
    need = config.data.min_rows
    return [] if len(df) >= need else [f"only {len(df)} rows; at least {need} are needed (data.min_rows)"]


def _has_features(df: pd.DataFrame, config: Config, facts: DataProfile) -> list[str]:
    if _feature_names(df, config):
        return []
    return [f"no feature columns: only the target {config.data.target!r} is left after ignore_columns"]


def _target_complete(df: pd.DataFrame, config: Config, facts: DataProfile) -> list[str]:
    nulls = facts.columns[config.data.target].nulls
    return [f"target {config.data.target!r} has {nulls} null values; every row needs one"] if nulls else []


def _two_classes(df: pd.DataFrame, config: Config, facts: DataProfile) -> list[str]:
    if config.data.task != "classification":
        return []
    classes = facts.columns[config.data.target].texts
    if len(classes) >= 2:
        return []
    found = f"a single class {classes.pop()!r}" if classes else "no values"
    return [f"target {config.data.target!r} has {found}; classification needs at least 2 classes"]


def _numeric_target(df: pd.DataFrame, config: Config, facts: DataProfile) -> list[str]:
    values = df[config.data.target]
    if config.data.task != "regression" or facts.columns[config.data.target].kind == "numeric":
        return []
    present = values.dropna()
    offending = present[pd.to_numeric(present, errors="coerce").isna()]
    shown = ", ".join(repr(value) for value in (offending if len(offending) else present).head(SHOWN).tolist())
    target = config.data.target
    return [f"regression target {target!r} is not numeric (dtype {values.dtype}); first offending values: {shown}"]


def _no_empty_feature(df: pd.DataFrame, config: Config, facts: DataProfile) -> list[str]:
    empty = [name for name in _feature_names(df, config) if facts.columns[name].nulls == facts.rows]
    return [f"feature {name!r} is entirely null" for name in empty]


def _few_duplicates(df: pd.DataFrame, config: Config, facts: DataProfile) -> list[str]:
    rate, allowed = facts.duplicate_rate, config.data.max_duplicate_rate
    if rate <= allowed:
        return []
    return [f"{rate:.1%} of rows are duplicates ({facts.duplicates} of {facts.rows}); at most {allowed:.1%} allowed"]


ABSOLUTE_RULES: dict[str, Rule] = {
    "min_rows": _enough_rows,
    "has_features": _has_features,
    "target_complete": _target_complete,
    "two_classes": _two_classes,
    "numeric_target": _numeric_target,
    "no_empty_feature": _no_empty_feature,
    "max_duplicate_rate": _few_duplicates,
}


# --- drift against an existing contract -------------------------------------------------------------------
def compare(df: pd.DataFrame, contract: Contract, config: Config) -> list[str]:
    """Every way `df` departs from `contract`, one message each naming the column and the reason."""
    return _flatten(compare_outcomes(df, contract, config))


def compare_outcomes(
    df: pd.DataFrame, contract: Contract, config: Config, facts: DataProfile | None = None
) -> Problems:
    pairs = (("target", contract.target, config.data.target), ("task", contract.task, config.data.task))
    changed = [
        f"{what} changed: the contract has {old!r}, the config has {new!r}" for what, old, new in pairs if old != new
    ]
    if changed:  # a different target or task is a different model: column-level checks would only add noise
        return {"target_and_task": changed}
    facts = facts or profile_for_rules(df, config)
    return {
        "target_and_task": [],
        "columns": _column_changes(df, contract, config),
        "kinds": _kind_changes(contract, facts),
        "ranges": _out_of_range(df, contract, config, facts),
        "null_rates": _null_growth(contract, config, facts),
        "categories": _unseen_categories(contract, facts),
        "labels": _unseen_labels(contract, facts),
    }


def _column_changes(df: pd.DataFrame, contract: Contract, config: Config) -> list[str]:
    expected = [feature.name for feature in contract.features]
    present = _feature_names(df, config)
    missing = [f"column {name!r}: missing (the contract expects it)" for name in expected if name not in present]
    new = [f"column {name!r}: not in the contract (unexpected new column)" for name in present if name not in expected]
    return missing + new


def _kind_changes(contract: Contract, facts: DataProfile) -> list[str]:
    problems = []
    for feature, column in _present(contract, facts):
        # An all-null column has no kind of its own; the null-rate rule reports it.
        if column.kind != feature.kind and column.nulls < facts.rows:
            problems.append(f"column {feature.name!r}: was {feature.kind}, is now {column.kind} (dtype {column.dtype})")
    return problems


def _out_of_range(df: pd.DataFrame, contract: Contract, config: Config, facts: DataProfile) -> list[str]:
    problems, tolerance = [], config.data.range_tolerance
    for feature, column in _present(contract, facts, "numeric"):
        if feature.min is None or feature.max is None or column.min is None or column.max is None:
            continue
        margin = tolerance * (feature.max - feature.min)
        low, high = feature.min - margin, feature.max + margin
        if low <= column.min and column.max <= high:
            continue  # the profile's extremes are inside: no value can be outside
        values = df[feature.name]
        outside = int(((values < low) | (values > high)).sum())
        problems.append(
            f"column {feature.name!r}: {outside} values outside the allowed range [{low:g}, {high:g}]"
            f" (contract {feature.min:g} to {feature.max:g}, ± {tolerance:.0%} of the span);"
            f" observed {column.min:g} to {column.max:g}"
        )
    return problems


def _null_growth(contract: Contract, config: Config, facts: DataProfile) -> list[str]:
    problems, tolerance = [], config.data.null_rate_tolerance
    for feature, _column in _present(contract, facts):
        rate = facts.null_rate(feature.name)
        if rate - feature.null_rate > tolerance:
            problems.append(
                f"column {feature.name!r}: null rate grew to {rate:.1%} from {feature.null_rate:.1%}"
                f" (at most {tolerance:.1%} more allowed)"
            )
    return problems


def _unseen_categories(contract: Contract, facts: DataProfile) -> list[str]:
    problems = []
    for feature, column in _present(contract, facts, "categorical"):
        unseen = sorted(column.texts - set(feature.categories or []))
        if unseen:
            problems.append(f"column {feature.name!r}: {len(unseen)} unseen categories: {_some(unseen)}")
    return problems


def _unseen_labels(contract: Contract, facts: DataProfile) -> list[str]:
    if contract.labels is None or contract.target not in facts.columns:
        return []
    unseen = sorted(facts.columns[contract.target].texts - set(contract.labels))
    return [f"target {contract.target!r}: unseen label values: {_some(unseen)}"] if unseen else []


# --- reading and writing ----------------------------------------------------------------------------------
# --- helpers ------------------------------------------------------------------------------------------------
def _feature_names(df: pd.DataFrame, config: Config) -> list[str]:
    return [str(name) for name in df.columns if name != config.data.target]


def _present(
    contract: Contract, facts: DataProfile, kind: Kind | None = None
) -> Iterator[tuple[Feature, ColumnProfile]]:
    """Contract features found in the data; with `kind`, only those still of that kind in both."""
    for feature in contract.features:
        column = facts.columns.get(feature.name)
        if column is not None and (kind is None or feature.kind == kind == column.kind):
            yield feature, column


def _some(names: list[str]) -> str:
    shown = ", ".join(repr(excerpt(name, 80)) for name in names[:SHOWN])  # a value may be megabytes long
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _flatten(outcomes: Problems) -> list[str]:
    return [problem for problems in outcomes.values() for problem in problems]
