"""The MLflow Lambda's request and result (lambdas/mlflow_registry): with `[stages.<stage>] mlflow_tracking_uri`
set, each registered package also becomes an MLflow model version (`register`), and a deployed one takes the
`champion` alias (`champion`), as in the local registry (slipstream/local/registry.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from slipstream.documents.base import Document
from slipstream.documents.gate import CardSources, GateDecision


class MlflowRequest(Document):
    action: Literal["register", "champion"]
    run_id: str
    model_package_arn: str
    source: str = Field(description="The package's model archive (its ModelDataUrl): the version's source.")
    lineage: CardSources = Field(description="The same facts the package's model card is built from.")
    gate: GateDecision
    staging: Literal["champion", "none"] = Field(description="What registration did with it, as locally.")


class MlflowResult(Document):
    status: Literal["registered", "aliased", "failed"]
    version: str | None = None
    error: str | None = None
