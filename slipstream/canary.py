"""The canary rule, the one both runtimes apply: given the state of each watched alarm and how long the canary
has baked, continue, promote or roll back. On AWS the CanaryCheck Lambda feeds it CloudWatch alarm states;
locally `slipstream canary` feeds it the same alarms measured on captured traffic (slipstream/canary_traffic.py).

Only pydantic: the CanaryCheck Lambda imports it (Powertools bundles pydantic, nothing else is there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# CloudWatch's three alarm states; the local measurements use the same words.
AlarmState = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
CanaryAction = Literal["continue", "promote", "roll_back"]


class CanaryVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: CanaryAction
    reason: str = Field(description="One sentence for the notification, the package and the log.")
    elapsed_minutes: float
    firing: list[str] = Field(default_factory=list, description="Watched alarms in ALARM, by kind.")
    unknown: list[str] = Field(default_factory=list, description="Watched alarms with no state at all.")


def canary_verdict(
    states: Mapping[str, AlarmState | None],
    *,
    watched: Sequence[str],
    elapsed_minutes: float,
    bake_minutes: float,
) -> CanaryVerdict:
    """Roll back as soon as any watched alarm is in ALARM; otherwise promote once the bake time has passed, and
    continue before that. INSUFFICIENT_DATA (no traffic, no feedback yet) never rolls back: a quiet canary is
    not a failing one. A watched alarm missing from `states` (deleted, renamed) rolls back too: a canary that
    cannot be watched cannot be called clean, and waiting for the alarm to reappear could wait forever."""
    firing = [kind for kind in watched if states.get(kind) == "ALARM"]
    unknown = [kind for kind in watched if states.get(kind) is None]

    def verdict(action: CanaryAction, reason: str) -> CanaryVerdict:
        return CanaryVerdict(
            action=action, reason=reason, elapsed_minutes=elapsed_minutes, firing=firing, unknown=unknown
        )

    if firing:
        reason = f"canary alarm(s) fired during the bake: {', '.join(firing)} (after {elapsed_minutes:g} min)"
        return verdict("roll_back", reason)
    if unknown:
        reason = f"canary alarm(s) {', '.join(unknown)} not found: the canary cannot be watched"
        return verdict("roll_back", reason)
    if elapsed_minutes >= bake_minutes:
        reason = f"bake of {bake_minutes:g} min ended clean ({', '.join(watched)} never in ALARM)"
        return verdict("promote", reason)
    reason = f"baking: {elapsed_minutes:g} of {bake_minutes:g} min, no alarm"
    return verdict("continue", reason)
