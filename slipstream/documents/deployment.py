"""The deployment record: which model version each variant serves, with what the API and drift need of it.

Written by `slipstream serve` (slipstream/local/serving/plan.py, from the registry aliases) and on AWS by the
RecordDeployment Lambda (lambdas/record_deployment, after a smoke test passed), to `<state>/serving/deployment.json`
or `s3://<artifacts>/deployment/deployment.json` (slipstream/layout.py DEPLOYMENT_KEY). Read by the predict Lambda
(routing, `GET /model`), the drift Lambda (each version's baseline) and `slipstream run --engine stepfunctions`.
Only pydantic: the predict Lambda imports it and has no pandas.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from slipstream.documents.evaluation import Importance

CHAMPION, CHALLENGER = "champion", "challenger"


class VariantRecord(BaseModel):
    """One served version. `GET /model` shows it to API callers, so it names no ARN (an ARN names the account)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: str = Field(min_length=1, description="The SageMaker endpoint serving this version.")
    version: str = Field(min_length=1, description="The registry's version number, as text.")
    gate: Literal["passed", "rejected"] | None = Field(description="The quality gate's decision.")
    metrics: dict[str, float] = Field(default_factory=dict, description="Held-out metrics (numbers only).")
    registered_at: str = Field(description="ISO-8601 time the version was registered, with its offset.")
    data_sha256: str | None = Field(default=None, description="SHA-256 of the training data file.")
    git_commit: str | None = Field(default=None, description="Commit of the code (on AWS: the stack's).")
    model_card: str | None = Field(default=None, description="The model card (Markdown).")
    importance: Importance | None = Field(
        default=None, description="Permutation importance on the held-out rows, with its flags (evaluation.json)."
    )
    run_id: str | None = Field(default=None, description="The pipeline run that trained it.")
    baseline_uri: str | None = Field(
        default=None, description="Its drift baseline (on AWS the retained copy, models/<run id>/baseline.json)."
    )
    deployed_at: str | None = Field(
        default=None,
        description="ISO-8601 time it started serving as this variant: an AWS experiment counts traffic from then.",
    )
    approval: ApprovalNote | None = Field(default=None, description="Who approved it, when and why (manual stages).")
    promoted_from: PromotedFrom | None = Field(
        default=None, description="The stage and version it was promoted from (`slipstream promote`), unchanged."
    )


class PromotedFrom(BaseModel):
    """Where a promoted model was trained: the source stage and its package's version there (docs/promotion.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: str
    version: str


class ApprovalNote(BaseModel):
    """The person who let this version serve (`approval = "manual"`, docs/approval.md). `approved_by` is the
    caller's IAM principal without the account (`assumed-role/Approver/alice`): GET /model shows it. The package's
    ApprovalDescription and CustomerMetadataProperties keep the full ARN."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    approved_by: str = Field(min_length=1)
    approved_at: str = Field(description="ISO-8601 time of the decision, with its offset.")
    reason: str = ""

    @classmethod
    def from_arn(cls, arn: str, approved_at: str, reason: str = "") -> ApprovalNote:
        """`arn:aws:sts::123456789012:assumed-role/Approver/alice` -> `assumed-role/Approver/alice`."""
        principal = arn.split(":", 5)[5] if arn.startswith("arn:") and arn.count(":") >= 5 else arn
        return cls(approved_by=principal, approved_at=approved_at, reason=reason)


class ExperimentDecision(BaseModel):
    """One ended experiment: what was done, who or what decided, and the figures the decision rested on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["promote", "stop"]
    decided_by: str = Field(min_length=1, description="`experiment-lambda`, or the IAM identity of the caller.")
    decided_at: str = Field(description="ISO-8601 time, with its offset.")
    champion_version: str | None = Field(description="The champion when the experiment ended.")
    challenger_version: str
    decision: str = Field(description="The test's decision (slipstream.experiment.result.Decision).")
    reason: str
    effect: float | None = None
    lower: float | None = None
    upper: float | None = None
    p_value: float | None = None
    labelled: dict[str, int] = Field(default_factory=dict, description="Rows with ground truth, per variant.")


class CanaryRecord(BaseModel):
    """The challenger is a canary (`gate.promote = "canary"`): it gets `share` of callers while it bakes, then
    is promoted or rolled back by the canary rule (slipstream/canary.py). An experiment's challenger has none."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    share: float = Field(gt=0, le=1, description="Share of callers routed to the canary.")
    bake_minutes: int = Field(ge=1, description="How long it bakes before it may be promoted.")
    started_at: str = Field(description="ISO-8601 time the canary went live, with its offset.")


class DeploymentRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    champion: VariantRecord | None = None
    challenger: VariantRecord | None = None
    canary: CanaryRecord | None = Field(default=None, description="Set while the challenger is a canary.")
    # Newest last; only the AWS experiment Lambda appends (the local registry keeps its own history).
    decisions: list[ExperimentDecision] = Field(default_factory=list)

    def variant(self, name: str) -> VariantRecord | None:
        """`champion` or `challenger`."""
        return self.champion if name == CHAMPION else self.challenger

    def challenger_eligible(self) -> bool:
        """Only a challenger that passed the gate and differs from the champion may get traffic."""
        challenger = self.challenger
        if challenger is None or challenger.gate != "passed":
            return False
        return self.champion is None or challenger.version != self.champion.version

    def challenger_share(self, configured: float) -> float:
        """The challenger's share of callers: a canary's own share, else the configured experiment weight."""
        return self.canary.share if self.canary is not None else configured

    def canary_promoted(self) -> DeploymentRecord:
        """The canary serves everyone as the champion, on the champion endpoint."""
        if self.challenger is None or self.canary is None:
            raise ValueError("the deployment record has no canary to promote")
        champion_endpoint = self.champion.endpoint if self.champion else self.challenger.endpoint
        return DeploymentRecord(champion=self.challenger.model_copy(update={"endpoint": champion_endpoint}))

    def canary_rolled_back(self) -> DeploymentRecord:
        """Only the champion serves again (a record with no canary is returned as it is)."""
        return DeploymentRecord(champion=self.champion) if self.canary is not None else self

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)
