"""What the quality gate reads of evaluation.json (written by training/evaluation_run.py in the image, which
cannot import this: tests/unit/test_gate_seam.py runs that writer and validates its output here).

Only the gate's inputs are typed strictly; the rest of the report (confusion matrix, notes, versions) is kept
as it is for the model card and the registry.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from slipstream.documents.base import Document


class Interval(Document):
    """challenger - other on the same rows (metric units, not oriented): the point difference and its interval."""

    difference: float
    low: float
    high: float
    resamples: int = Field(description="Resamples on which the metric was defined for both models.")


class MetricComparison(Document):
    challenger: float | None
    baseline: float | None
    champion: float | None
    vs_baseline: Interval | None
    vs_champion: Interval | None


class Baseline(Document):
    kind: Literal["mean", "majority class"]
    value: float | int | str | bool
    source: Literal["training data", "held-out rows"]
    note: str | None


class Comparison(Document):
    method: Literal["paired bootstrap", "paired bootstrap on a subset, rescaled"]
    resamples: int
    confidence: float
    seed: int
    rows: int
    rows_resampled: int
    baseline: Baseline
    metrics: dict[str, MetricComparison]


class BehaviourTest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")  # each kind adds its own figures (change_rate, ...)

    kind: str
    name: str
    passed: bool
    detail: str = ""


class Behaviour(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    tests: list[BehaviourTest] = Field(default_factory=list)


class Evaluation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")  # the rest of the report is for people, not the gate

    metrics: dict[str, float | None]
    champion_metrics: dict[str, float | None] | None = None
    champion_error: str | None = None
    comparison: Comparison | None = None  # None: evaluated by an older evaluation job (no paired figures)
    behaviour: Behaviour = Field(default_factory=Behaviour)
