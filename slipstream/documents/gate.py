"""QualityGate's request and its decision.

The decision is written by `slipstream.steps.gate.decide` (in the QualityGate Lambda, and in process by the
local runner) and read by the state machine's GatePassed Choice, notifications and model-package registration
(`baseline_figures` / `champion_figures` become CustomerMetadataProperties), by RecordDeployment's request, by
the model card, and by the local runtime's console, registry and run summary.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from slipstream.documents.base import Document

Verdict = Literal["better", "not distinguishable", "worse"]


class CardSources(Document):
    """What the QualityGate Lambda needs besides the evaluation to write the package's model card
    (slipstream/package_card.py): the lineage facts the state machine knows (slipstream/lineage.py)."""

    data_uri: str = Field(description="s3://bucket/key of the data trained on, unescaped.")
    data_sha256: str
    git_commit: str = Field(description="The commit the stack was deployed from (synth time).")
    config_sha256: str
    training_job: str
    model_artifact: str = Field(description="The training job's model.tar.gz (RetainModel copies it unchanged).")
    contract_uri: str
    tuning_job: str | None = Field(
        default=None, description="With [tuning]: the SageMaker tuning job whose best trial is this model."
    )


class GateRequest(Document):
    run_id: str
    evaluation_uri: str  # s3://.../evaluation.json written by training/evaluate.py
    card: CardSources  # the local runner decides in process and has no request


class GateComparison(Document):
    """The challenger against the naive baseline or the champion on the same held-out rows."""

    against: Literal["baseline", "champion"]
    reference: float = Field(description="The baseline's or the champion's value of the gate metric.")
    value: float = Field(description="The challenger's value.")
    difference: float = Field(description="challenger - reference, in the metric's units.")
    low: float = Field(description="Lower end of the difference's confidence interval.")
    high: float = Field(description="Upper end.")
    confidence: float
    tolerance: float = Field(
        description="Differences within +/- this are no difference (gate.max_regression; 0 against the baseline)."
    )
    verdict: Verdict = Field(description="better / worse: the whole interval lies beyond the tolerance that way.")


class GateDecision(Document):
    passed: bool
    metric: str
    value: float | None
    threshold: float | None = Field(description="The absolute bar, only when gate.threshold is set.")
    champion_value: float | None
    baseline: GateComparison | None
    champion: GateComparison | None
    # Why it was rejected (every reason), or what it passed; written to the registry and the model card.
    reasons: list[str]
    # One line each, in the characters SageMaker allows in CustomerMetadataProperties ("none" when absent).
    baseline_figures: str
    champion_figures: str
    # On AWS: the package's ModelCardContent (slipstream/package_card.py), JSON text; the local runner has none.
    model_card: str | None = None
