"""The data contract: what the data looked like when the first model was trained on it.

The first run writes it; later runs are compared against it, so a changed export (a renamed column, a
new category, values in other units) stops the pipeline before a model is trained on it. The prediction
API derives its request model from `Contract.features`. Rules that need no contract (enough rows, a
complete target, ...) and the comparison live in `contract_rules`. Only pandas and pydantic: it runs in a Lambda.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from slipstream.config import Config, Task, format_validation_error
from slipstream.data_profile import ColumnProfile, DataProfile, Kind, profile
from slipstream.errors import DataError

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

    # The baseline's outer bin edges are -inf/+inf: written as -Infinity/Infinity (as baseline.json has them,
    # and as Python's json reads them), never as null, which would turn them into no edge at all.
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="constants")

    version: Literal[1] = Field(default=1, description="Format of this file; bumped on incompatible changes.")
    target: str = Field(description="Column holding the label or value to predict.")
    task: Task
    features: list[Feature] = Field(description="Model inputs, in the column order of the training data.")
    labels: list[str] | None = Field(description="Classification: the label values seen, sorted, as strings.")
    row_count: int = Field(ge=0, description="Rows in the dataset the contract was built from.")
    duplicate_rate: float = Field(ge=0, le=1, description="Share of rows that repeat an earlier row.")
    created_at: datetime
    baseline: dict[str, Any] | None = Field(
        default=None,
        description="Statistics of the training split the contract was built with (slipstream.baseline): what "
        "ValidateData compares new data with before training. Absent in contracts written before that check.",
    )


def build_contract(df: pd.DataFrame, config: Config, facts: DataProfile | None = None) -> Contract:
    """Describe `df` (ignored columns already dropped) as the contract later runs must keep.

    `facts`: `df`'s profile with the target's text counts, when the caller has it already (ValidateData does).
    """
    target = config.data.target
    facts = facts or profile(df, text_columns=(target,))
    features = [_describe(str(name), facts) for name in df.columns if name != target]
    labels = sorted(facts.columns[target].texts) if config.data.task == "classification" else None
    return Contract(
        target=target,
        task=config.data.task,
        features=features,
        labels=labels,
        row_count=facts.rows,
        duplicate_rate=round(facts.duplicate_rate, 6),
        created_at=datetime.now(timezone.utc),
    )


def _describe(name: str, facts: DataProfile) -> Feature:
    column: ColumnProfile = facts.columns[name]
    return Feature(
        name=name,
        kind=column.kind,
        dtype=column.dtype,
        min=column.min,
        max=column.max,
        null_rate=round(facts.null_rate(name), 6),
        categories=sorted(column.texts) if column.kind == "categorical" else None,
    )


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
