"""The data contract's rules: absolute ones (enough rows, two classes, ...) and schema drift against a contract.

Each rule returns what is wrong (empty when it holds), every message naming the column and the reason.
Only pandas: it runs in the ValidateData Lambda.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pandas as pd

from slipstream.config import Config
from slipstream.contract import SHOWN, Contract, Feature, Kind, Problems, duplicate_rate, feature_kind, strings
from slipstream.errors import excerpt


# --- rules that hold with or without a contract ------------------------------------------------------------
def check_absolute(df: pd.DataFrame, config: Config) -> list[str]:
    """Every broken absolute rule, one message each (empty when the data is usable)."""
    return _flatten(absolute_outcomes(df, config))


def absolute_outcomes(df: pd.DataFrame, config: Config) -> Problems:
    target = config.data.target
    if target not in df.columns:  # every other rule needs the target
        return {"target_present": [f"target column {target!r} not found"]}
    return {"target_present": [], **{name: rule(df, config) for name, rule in ABSOLUTE_RULES.items()}}


def _enough_rows(df: pd.DataFrame, config: Config) -> list[str]:
    need = config.data.min_rows
    return [] if len(df) >= need else [f"only {len(df)} rows; at least {need} are needed (data.min_rows)"]


def _has_features(df: pd.DataFrame, config: Config) -> list[str]:
    if _feature_names(df, config):
        return []
    return [f"no feature columns: only the target {config.data.target!r} is left after ignore_columns"]


def _target_complete(df: pd.DataFrame, config: Config) -> list[str]:
    nulls = int(df[config.data.target].isna().sum())
    return [f"target {config.data.target!r} has {nulls} null values; every row needs one"] if nulls else []


def _two_classes(df: pd.DataFrame, config: Config) -> list[str]:
    if config.data.task != "classification":
        return []
    classes = strings(df[config.data.target])
    if len(classes) >= 2:
        return []
    found = f"a single class {classes.pop()!r}" if classes else "no values"
    return [f"target {config.data.target!r} has {found}; classification needs at least 2 classes"]


def _numeric_target(df: pd.DataFrame, config: Config) -> list[str]:
    values = df[config.data.target]
    if config.data.task != "regression" or feature_kind(values) == "numeric":
        return []
    present = values.dropna()
    offending = present[pd.to_numeric(present, errors="coerce").isna()]
    shown = ", ".join(repr(value) for value in (offending if len(offending) else present).head(SHOWN).tolist())
    target = config.data.target
    return [f"regression target {target!r} is not numeric (dtype {values.dtype}); first offending values: {shown}"]


def _no_empty_feature(df: pd.DataFrame, config: Config) -> list[str]:
    return [f"feature {name!r} is entirely null" for name in _feature_names(df, config) if df[name].isna().all()]


def _few_duplicates(df: pd.DataFrame, config: Config) -> list[str]:
    rate, allowed = duplicate_rate(df), config.data.max_duplicate_rate
    if rate <= allowed:
        return []
    count = int(df.duplicated().sum())
    return [f"{rate:.1%} of rows are duplicates ({count} of {len(df)}); at most {allowed:.1%} allowed"]


ABSOLUTE_RULES: dict[str, Callable[[pd.DataFrame, Config], list[str]]] = {
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


def compare_outcomes(df: pd.DataFrame, contract: Contract, config: Config) -> Problems:
    pairs = (("target", contract.target, config.data.target), ("task", contract.task, config.data.task))
    changed = [
        f"{what} changed: the contract has {old!r}, the config has {new!r}" for what, old, new in pairs if old != new
    ]
    if changed:  # a different target or task is a different model: column-level checks would only add noise
        return {"target_and_task": changed}
    return {
        "target_and_task": [],
        "columns": _column_changes(df, contract, config),
        "kinds": _kind_changes(df, contract),
        "ranges": _out_of_range(df, contract, config),
        "null_rates": _null_growth(df, contract, config),
        "categories": _unseen_categories(df, contract),
        "labels": _unseen_labels(df, contract),
    }


def _column_changes(df: pd.DataFrame, contract: Contract, config: Config) -> list[str]:
    expected = [feature.name for feature in contract.features]
    present = _feature_names(df, config)
    missing = [f"column {name!r}: missing (the contract expects it)" for name in expected if name not in present]
    new = [f"column {name!r}: not in the contract (unexpected new column)" for name in present if name not in expected]
    return missing + new


def _kind_changes(df: pd.DataFrame, contract: Contract) -> list[str]:
    problems = []
    for feature, values in _present(df, contract):
        kind = feature_kind(values)
        # An all-null column has no kind of its own; the null-rate rule reports it.
        if kind != feature.kind and values.notna().any():
            problems.append(f"column {feature.name!r}: was {feature.kind}, is now {kind} (dtype {values.dtype})")
    return problems


def _out_of_range(df: pd.DataFrame, contract: Contract, config: Config) -> list[str]:
    problems, tolerance = [], config.data.range_tolerance
    for feature, values in _present(df, contract, "numeric"):
        if feature.min is None or feature.max is None:
            continue
        margin = tolerance * (feature.max - feature.min)
        low, high = feature.min - margin, feature.max + margin
        outside = int(((values < low) | (values > high)).sum())
        if outside:
            problems.append(
                f"column {feature.name!r}: {outside} values outside the allowed range [{low:g}, {high:g}]"
                f" (contract {feature.min:g} to {feature.max:g}, ± {tolerance:.0%} of the span);"
                f" observed {values.min():g} to {values.max():g}"
            )
    return problems


def _null_growth(df: pd.DataFrame, contract: Contract, config: Config) -> list[str]:
    problems, tolerance = [], config.data.null_rate_tolerance
    for feature, values in _present(df, contract):
        rate = float(values.isna().mean()) if len(values) else 0.0
        if rate - feature.null_rate > tolerance:
            problems.append(
                f"column {feature.name!r}: null rate grew to {rate:.1%} from {feature.null_rate:.1%}"
                f" (at most {tolerance:.1%} more allowed)"
            )
    return problems


def _unseen_categories(df: pd.DataFrame, contract: Contract) -> list[str]:
    problems = []
    for feature, values in _present(df, contract, "categorical"):
        unseen = sorted(strings(values) - set(feature.categories or []))
        if unseen:
            problems.append(f"column {feature.name!r}: {len(unseen)} unseen categories: {_some(unseen)}")
    return problems


def _unseen_labels(df: pd.DataFrame, contract: Contract) -> list[str]:
    if contract.labels is None or contract.target not in df.columns:
        return []
    unseen = sorted(strings(df[contract.target]) - set(contract.labels))
    return [f"target {contract.target!r}: unseen label values: {_some(unseen)}"] if unseen else []


# --- reading and writing ----------------------------------------------------------------------------------
# --- helpers ------------------------------------------------------------------------------------------------
def _feature_names(df: pd.DataFrame, config: Config) -> list[str]:
    return [str(name) for name in df.columns if name != config.data.target]


def _present(df: pd.DataFrame, contract: Contract, kind: Kind | None = None) -> Iterator[tuple[Feature, pd.Series]]:
    """Contract features found in `df`; with `kind`, only those still of that kind in both."""
    for feature in contract.features:
        if feature.name in df.columns and (kind is None or feature.kind == kind == feature_kind(df[feature.name])):
            yield feature, df[feature.name]


def _some(names: list[str]) -> str:
    shown = ", ".join(repr(excerpt(name, 80)) for name in names[:SHOWN])  # a value may be megabytes long
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _flatten(outcomes: Problems) -> list[str]:
    return [problem for problems in outcomes.values() for problem in problems]
