"""An execution's history read the way the Step Functions console shows it: one row per state, in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class StateRun:
    name: str
    kind: str  # Task | Pass | Choice | Wait | Succeed | Fail
    entered: datetime
    exited: datetime | None = None
    failed: str | None = None  # the last error a task reported (even if a retry then succeeded)
    retries: int = 0

    @property
    def seconds(self) -> float:
        return ((self.exited or self.entered) - self.entered).total_seconds()


def state_runs(events: list[dict[str, Any]]) -> list[StateRun]:
    """Every state entered, in order, with its timing and what went wrong inside it."""
    runs: list[StateRun] = []
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            runs.append(StateRun(details["name"], kind.removesuffix("StateEntered"), event["timestamp"]))
        elif kind.endswith("StateExited") and runs:
            runs[-1].exited = event["timestamp"]
        elif kind in ("TaskFailed", "LambdaFunctionFailed") and runs:
            details = next(v for k, v in event.items() if k.endswith("EventDetails"))
            runs[-1].failed = details.get("error")
        elif kind in ("TaskScheduled", "LambdaFunctionScheduled") and runs and runs[-1].failed:
            runs[-1].retries += 1
        elif kind in ("FailStateEntered", "SucceedStateEntered", "ExecutionFailed", "ExecutionSucceeded") and runs:
            runs[-1].exited = event["timestamp"]
    return runs


def path(events: list[dict[str, Any]]) -> list[str]:
    """The names of the states entered, in order."""
    return [run.name for run in state_runs(events)]


def execution_end(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The closing event's details: {"error", "cause"} for a failure, {"output"} for a success."""
    for event in reversed(events):
        if event["type"].startswith("Execution") and event["type"] != "ExecutionStarted":
            return next((v for k, v in event.items() if k.endswith("EventDetails")), {})
    return {}
