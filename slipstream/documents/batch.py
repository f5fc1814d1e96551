"""The batch scorer's summary (training/batch_score.py writes it; `slipstream predict` and the batch state
machine's notification read it). Written in the image's Python without pydantic, so this model is the check."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from slipstream.documents.base import Document


class BatchSummary(Document):
    model_version: str | None = Field(description="Registered model version that scored the file.")
    input: str
    output: str
    rejects: str = Field(description="CSV of the refused rows: row, field, reason (header only when none).")
    on_bad_row: Literal["skip", "fail"]
    rows_read: int = Field(ge=0, description="Data rows in the input, malformed lines included.")
    rows_scored: int = Field(ge=0)
    rows_rejected: int = Field(ge=0)
    problems: int = Field(ge=0, description="Refusals listed in the rejects file (a row may have several).")
    checked_cell_by_cell: bool = Field(
        description="A CSV value was not a number, so the file was read again with per-cell checks (slower)."
    )
    wall_seconds: float = Field(ge=0, description="The scorer's whole run: model load, reading, checks, writing.")
    scoring_seconds: float = Field(ge=0, description="Reading, checking, scoring and writing the rows only.")
    rows_per_second: float = Field(ge=0)
