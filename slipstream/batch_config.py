"""`[batch]` in slipstream.toml: scoring whole files with a registered model (`slipstream predict`).
docs/batch.md explains it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

OnBadRow = Literal["skip", "fail"]


class BatchConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    on_bad_row: OnBadRow = Field(
        default="skip",
        description="A row the prediction API would refuse: `skip` writes it to the rejects file (row, field, "
        "reason) and scores the rest; `fail` stops the run at the first chunk that has one, writing nothing.",
    )
    id_columns: list[str] = Field(
        default_factory=list,
        description="Columns of the input copied to each prediction (e.g. a customer id), after `row`.",
    )
    chunk_rows: int = Field(
        default=100_000,
        ge=1_000,
        le=5_000_000,
        description="Rows scored at a time (Parquet; CSV reads blocks of 8 MiB): memory stays bounded by it.",
    )

    @field_validator("id_columns")
    @classmethod
    def _distinct(cls, names: list[str]) -> list[str]:
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"id_columns lists {', '.join(duplicates)} more than once")
        reserved = sorted(set(names) & {"row", "prediction", "model_version"})
        if reserved:
            raise ValueError(f"id_columns may not be named {', '.join(reserved)}: the output has its own")
        return names
