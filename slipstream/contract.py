"""The data contract: what the data looked like when the first model was trained on it.

The first run writes it; later runs are compared against it, so a changed export (a renamed column, a
new category, values in other units) stops the pipeline before a model is trained on it. The prediction
API derives its request model from `Contract.features`. Rules that need no contract (enough rows, a
complete target, ...) live here too, in `check_absolute`. Only pandas and pydantic: it runs in a Lambda.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from slipstream.config import Config, Task, format_validation_error
from slipstream.errors import DataError

Kind = Literal["numeric", "categorical"]
Problems = dict[str, list[str]]  # rule name -> what is wrong (empty when the rule holds)
SHOWN = 5  # how many offending values a message lists


class Feature(BaseModel):
    """One input column, as the model and every prediction request must provide it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Column name, exactly as in the data and in prediction requests.")
    kind: Kind = Field(description="`numeric`: a number. `categorical`: one of `categories`, as a string.")
    dtype: str = Field(description="pandas dtype in the training data, e.g. `float64`, `int64`, `object`.")
    min: float | None = Field(default=None, description="Smallest value seen (numeric only).")
    max: float | None = Field(default=None, description="Largest value seen (numeric only).")
    null_rate: float = Field(ge=0, le=1, description="Share of rows where the value was missing.")
    categories: list[str] | None = Field(default=None, description="Values seen, sorted (categorical only).")

    @model_validator(mode="after")
    def _fields_match_kind(self) -> Feature:
        if self.kind == "numeric" and self.categories is not None:
            raise ValueError(f"numeric feature {self.name!r} cannot have categories")
        if self.kind == "categorical" and (self.categories is None or self.min is not None or self.max is not None):
            raise ValueError(f"categorical feature {self.name!r} needs categories and no min/max")
        return self


class Contract(BaseModel):
    """The data contract file (`contract.json`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = Field(default=1, description="Format of this file; bumped on incompatible changes.")
    target: str = Field(description="Column holding the label or value to predict.")
    task: Task
    features: list[Feature] = Field(description="Model inputs, in the column order of the training data.")
    labels: list[str] | None = Field(description="Classification: the label values seen, sorted, as strings.")
    row_count: int = Field(ge=0, description="Rows in the dataset the contract was built from.")
    duplicate_rate: float = Field(ge=0, le=1, description="Share of rows that repeat an earlier row.")
    created_at: datetime


def feature_kind(values: pd.Series) -> Kind:
    # Booleans are "numeric" to pandas, but to a person (and the API) they are one of two values.
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return "numeric" if numeric else "categorical"


def build_contract(df: pd.DataFrame, config: Config) -> Contract:
    """Describe `df` (ignored columns already dropped) as the contract later runs must keep."""
    target = config.data.target
    features = [_describe(str(name), df[name]) for name in df.columns if name != target]
    labels = sorted(_strings(df[target])) if config.data.task == "classification" else None
    return Contract(
        target=target,
        task=config.data.task,
        features=features,
        labels=labels,
        row_count=len(df),
        duplicate_rate=round(_duplicate_rate(df), 6),
        created_at=datetime.now(UTC),
    )


def _describe(name: str, values: pd.Series) -> Feature:
    kind = feature_kind(values)
    numbers = values.dropna()
    numeric = kind == "numeric" and not numbers.empty
    return Feature(
        name=name,
        kind=kind,
        dtype=str(values.dtype),
        min=float(numbers.min()) if numeric else None,
        max=float(numbers.max()) if numeric else None,
        null_rate=round(float(values.isna().mean()), 6) if len(values) else 0.0,
        categories=sorted(_strings(values)) if kind == "categorical" else None,
    )


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
    classes = _strings(df[config.data.target])
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
    rate, allowed = _duplicate_rate(df), config.data.max_duplicate_rate
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
        unseen = sorted(_strings(values) - set(feature.categories or []))
        if unseen:
            problems.append(f"column {feature.name!r}: {len(unseen)} unseen categories: {_some(unseen)}")
    return problems


def _unseen_labels(df: pd.DataFrame, contract: Contract) -> list[str]:
    if contract.labels is None or contract.target not in df.columns:
        return []
    unseen = sorted(_strings(df[contract.target]) - set(contract.labels))
    return [f"target {contract.target!r}: unseen label values: {_some(unseen)}"] if unseen else []


# --- reading and writing ----------------------------------------------------------------------------------
def read_contract(path: Path | str) -> Contract:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data contract not found: {path}")
    try:
        return Contract.model_validate_json(path.read_bytes())
    except ValidationError as error:
        raise DataError(
            f"{path}: not a valid data contract", details=format_validation_error(error, str(path))
        ) from None


def write_contract(contract: Contract, path: Path | str) -> None:
    """Write through a temporary file and a rename, so a failed run never leaves half a contract."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(contract.model_dump_json(indent=2) + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the contract is meant to be read and reviewed
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


# --- helpers ------------------------------------------------------------------------------------------------
def _feature_names(df: pd.DataFrame, config: Config) -> list[str]:
    return [str(name) for name in df.columns if name != config.data.target]


def _present(df: pd.DataFrame, contract: Contract, kind: Kind | None = None) -> Iterator[tuple[Feature, pd.Series]]:
    """Contract features found in `df`; with `kind`, only those still of that kind in both."""
    for feature in contract.features:
        if feature.name in df.columns and (kind is None or feature.kind == kind == feature_kind(df[feature.name])):
            yield feature, df[feature.name]


def _strings(values: pd.Series) -> set[str]:
    # Labels and categories are compared as text: that is how they arrive in JSON and how the contract keeps them.
    return {str(value) for value in values.dropna().unique()}


def _duplicate_rate(df: pd.DataFrame) -> float:
    return float(df.duplicated().mean()) if len(df) else 0.0


def _some(names: list[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _flatten(outcomes: Problems) -> list[str]:
    return [problem for problems in outcomes.values() for problem in problems]
