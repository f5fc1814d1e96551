"""What the quality gate reads of evaluation.json (written by training/evaluation_run.py in the image, which
cannot import this: tests/unit/test_gate_seam.py runs that writer and validates its output here).

Only the gate's inputs and the permutation importance are typed strictly; the rest of the report (confusion
matrix, notes, versions) is kept as it is for the model card and the registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from slipstream.documents.base import Document

if TYPE_CHECKING:
    from slipstream.config import Config


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


class ImportanceSettings(Document):
    """What the evaluation job scores importance with and flags: config/importance.json in the run folder, read by
    training/evaluation_run.py; ValidateData writes it in both runtimes, beside the behaviour spec."""

    metric: str = Field(description="The gate's metric.")
    sensitive: list[str] = Field(default_factory=list)
    identifiers: list[str] = Field(default_factory=list)

    @classmethod
    def from_config(cls, config: Config) -> ImportanceSettings:
        data = config.data
        return cls(metric=config.gate.metric or "", sensitive=data.sensitive, identifiers=data.identifiers)


class FeatureImportance(Document):
    """One raw input column: the drop in the (oriented) gate metric when it is shuffled, over the repeats."""

    feature: str
    mean: float
    std: float
    distinguishable: bool = Field(description="mean - 2 std > 0: told apart from the shuffles' noise.")


class ImportanceFlag(Document):
    kind: Literal["top_feature_sensitive", "top_feature_identifier", "identifier_is_feature"]
    feature: str
    message: str


class Importance(Document):
    """Permutation importance of the evaluated model on its held-out rows (training/feature_importance.py writes
    it; docs/explanations.md says how to read it)."""

    method: Literal["permutation", "permutation on a subset"]
    metric: str
    orientation: Literal["as is", "negated (an error metric)"]
    repeats: int
    seed: int
    rows: int
    rows_used: int
    noise_rule: str
    features: list[FeatureImportance] = Field(description="Most important first; empty when `note` says why.")
    note: str | None
    flags: list[ImportanceFlag]

    def top(self, count: int = 3) -> list[FeatureImportance]:
        return self.features[:count]

    def top_above_noise(self) -> FeatureImportance | None:
        """The feature the flags look at: the first in the ranking that is distinguishable from noise."""
        return next((feature for feature in self.features if feature.distinguishable), None)


class Evaluation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")  # the rest of the report is for people, not the gate

    metrics: dict[str, float | None]
    champion_metrics: dict[str, float | None] | None = None
    champion_error: str | None = None
    comparison: Comparison | None = None  # None: evaluated by an older evaluation job (no paired figures)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    importance: Importance | None = None  # None: evaluated by an older evaluation job
