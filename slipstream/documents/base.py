"""The two kinds of document: the ones we write (an unknown key is a bug), the ones AWS writes (it adds keys)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Document(BaseModel):
    """Written by our own code or state machine: a key nobody reads is a writer and reader out of step."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ForeignEvent(BaseModel):
    """Written by an AWS service: keep what we read, ignore the rest (AWS adds fields without notice)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
