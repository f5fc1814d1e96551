"""How an experiment ended: who or what promoted or stopped the challenger, when, and on which figures.

Kept beside the challenger's run (layout.EXPERIMENT_DECISION) and, in short, as `experiment.*` tags on its
registered version (`tags()`), so the registry alone still tells the story.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from slipstream.experiment.result import ExperimentResult

Outcome = Literal["promoted", "stopped"]


class ExperimentRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: Outcome
    challenger_version: str
    champion_version: str = Field(description="The champion the challenger was compared with.")
    decided_by: str = Field(min_length=1, description="A person (OS user or --by) or an automatic decider.")
    decided_at: str = Field(description="ISO-8601 time, with its offset.")
    forced: bool = Field(default=False, description="Against the result (`--force`): the result said otherwise.")
    result: ExperimentResult | None = Field(description="The figures the decision was taken on.")

    @classmethod
    def now(cls, **values: object) -> ExperimentRecord:
        return cls.model_validate({"decided_at": datetime.now(UTC).isoformat(timespec="seconds"), **values})

    def tags(self) -> dict[str, str]:
        """The registry tags: short, one value each (MLflow tag values are text)."""
        result = self.result
        tags = {
            "experiment.outcome": self.outcome,
            "experiment.decided_by": self.decided_by,
            "experiment.decided_at": self.decided_at,
            "experiment.champion_version": self.champion_version,
            "experiment.forced": str(self.forced).lower(),
        }
        if result is not None:
            tags["experiment.decision"] = result.decision
            tags["experiment.reason"] = result.reason
            if result.effect is not None:
                tags["experiment.effect"] = f"{result.effect:.6g}"
            if result.interval is not None:
                tags["experiment.interval"] = json.dumps([result.interval.lower, result.interval.upper])
            tags["experiment.counts"] = json.dumps({v.variant: v.assigned for v in result.variants})
        return tags
