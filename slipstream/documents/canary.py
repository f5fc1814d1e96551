"""The canary's documents: CanaryCheck's request and verdict (one look at the alarms during the bake) and
CanaryRecord's request (the deployment record after the bake: the canary promoted, or rolled back)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from slipstream.canary import AlarmState, CanaryAction
from slipstream.documents.base import Document


class CanaryCheckRequest(Document):
    alarms: dict[str, str] = Field(min_length=1, description="Watched alarm kind -> CloudWatch alarm name.")
    checks: int = Field(ge=0, description="Checks done before this one; each follows one Wait of check_minutes.")
    check_minutes: int = Field(ge=1)
    bake_minutes: int = Field(ge=1)


class CanaryCheckResult(Document):
    action: CanaryAction
    reason: str
    checks: int = Field(ge=1, description="Checks done, this one included (the next request's `checks`).")
    elapsed_minutes: float
    states: dict[str, AlarmState | None] = Field(description="Each watched alarm's state; None: not found.")
    firing: list[str]


class CanaryRecordRequest(Document):
    outcome: Literal["promoted", "rolled_back"]
    run_id: str
    reason: str


class CanaryRecordOutput(Document):
    uri: str
    champion_version: str | None
