"""The prediction service: route, invoke, mirror (shadow mode), capture; feedback; the model description.
No HTTP, no Lambda."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lambdas.predict.capture import BackgroundCapture
from lambdas.predict.documents import CachedDocument
from lambdas.predict.errors import InvalidRequest, UnknownRequest
from lambdas.predict.issued import IssuedRequests
from lambdas.predict.routing import CHALLENGER, CHAMPION, choose_variant
from lambdas.predict.runtime import invoke
from lambdas.predict.schema import ServingContract
from lambdas.predict.shadow import NOT_MIRRORED, ShadowMirror
from lambdas.predict.sinks import Sink
from slipstream.documents.deployment import DeploymentRecord
from slipstream.documents.smoke import SMOKE_CALLER_ID
from slipstream.warehouse.schema import capture_columns

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prediction:
    body: dict[str, Any]
    variant: str
    latency_ms: float


@dataclass
class PredictionService:
    contract: ServingContract
    runtime: Callable[[], Any]  # returns the sagemaker-runtime client (created on first use)
    endpoints: dict[str, str | None]  # variant -> endpoint name
    challenger_weight: float
    deployment: CachedDocument[DeploymentRecord]
    capture: BackgroundCapture | None = None
    feedback: Sink | None = None
    shadow: ShadowMirror | None = None
    issued: IssuedRequests | None = None  # with a feedback store: which ids and rows feedback may name
    issued_failed: int = 0  # records the issued store refused since the last metrics (a prediction never fails)
    columns: dict[str, str] = field(init=False)  # feature name -> its column in the captures table

    def __post_init__(self) -> None:
        self.columns = capture_columns([f.name for f in self.contract.features])

    def predict(self, instances: list[dict[str, Any]], caller_id: str | None, request_id: str) -> Prediction:
        deployment = self.deployment.get() or DeploymentRecord()
        eligible = bool(self.endpoints.get(CHALLENGER)) and deployment.challenger_eligible()
        # A canary's share comes with it in the record (the pipeline sets it); an experiment's is configured.
        variant = choose_variant(deployment.challenger_share(self.challenger_weight), eligible, caller_id)
        endpoint = self._endpoint(variant, deployment)
        started = time.perf_counter()
        answer = invoke(self.runtime(), endpoint, instances)
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
        # The endpoint says which version answered (inference.py reads SLIPSTREAM_MODEL_VERSION); the
        # deployment record is the fallback for a model deployed without it.
        served = deployment.variant(variant)
        version = answer.get("model_version") or (served.version if served else None)
        body = {
            "request_id": request_id,
            "model_version": None if version is None else str(version),
            "variant": variant,
            "predictions": answer["predictions"],
            "classes": answer.get("classes"),
            "probabilities": answer.get("probabilities"),
        }
        if caller_id == SMOKE_CALLER_ID:  # synthetic traffic: not monitored, not mirrored, no feedback
            return Prediction(body=body, variant=variant, latency_ms=latency_ms)
        self._issue(request_id, len(instances))
        rows = capture_rows(body, endpoint, latency_ms, instances, self.columns)
        # Only the champion's requests are mirrored, so a shadow call is never a challenger assignment.
        if self.shadow is not None and eligible and variant == CHAMPION and self.shadow.selected(request_id):
            challenger = deployment.variant(CHALLENGER)
            self.shadow.submit(
                self._endpoint(CHALLENGER, deployment), instances, rows, challenger.version if challenger else None
            )
        elif self.capture is not None:
            for row in rows:
                self.capture.submit(row)
        return Prediction(body=body, variant=variant, latency_ms=latency_ms)

    def _endpoint(self, variant: str, deployment: DeploymentRecord) -> str:
        """The endpoint the deployment record names for the variant, when it is one this function may call (a
        locally promoted challenger keeps its endpoint until the next deploy); else the configured one."""
        served = deployment.variant(variant)
        if served is not None and served.endpoint in self.endpoints.values():
            return served.endpoint
        return self.endpoints[variant] or ""

    def _issue(self, request_id: str, rows: int) -> None:
        if self.issued is None:
            return
        try:
            self.issued.record(request_id, rows)
        except Exception:  # the answer is ready: feedback for it will be refused, the prediction is not lost
            logger.exception("recording the issued request %s failed", request_id)
            self.issued_failed += 1

    def record_feedback(self, request_id: str, row: int, ground_truth: Any) -> bool:
        """Store ground truth for one predicted row; False when no feedback store is configured.

        With an issued store (always on AWS and under `slipstream serve`), only an id /predict issued, and a
        row that request had, is accepted: UnknownRequest (404) or InvalidRequest (400) otherwise."""
        if self.feedback is None:
            return False
        if self.issued is not None:
            rows = self.issued.rows(request_id)
            if rows is None:
                raise UnknownRequest(
                    f"request_id {request_id!r} was not issued by POST /predict (or is older than the capture "
                    "retention)",
                    [{"field": "request_id", "reason": "unknown request id"}],
                )
            if row >= rows:
                raise InvalidRequest(
                    f"row {row} is beyond request {request_id!r}, which had {rows} row(s)",
                    [{"field": "row", "reason": f"must be below {rows}, that request's number of rows"}],
                )
        record = {"request_id": request_id, "row": row, "ground_truth": ground_truth, "received_at": _now()}
        self.feedback.put([record])
        return True

    def describe(self) -> dict[str, Any]:
        deployment = self.deployment.get() or DeploymentRecord()
        challenger = deployment.challenger if deployment.challenger_eligible() else None
        return {
            "task": self.contract.task,
            "target": self.contract.target,
            "features": [f.model_dump() for f in self.contract.features],
            "labels": self.contract.labels,
            "champion": deployment.champion,
            "challenger": challenger if self.endpoints.get(CHALLENGER) else None,
            "challenger_weight": self.challenger_weight,
        }


def capture_rows(
    body: dict[str, Any],
    endpoint: str,
    latency_ms: float,
    instances: list[dict[str, Any]],
    columns: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The request's rows of the captures table, one per instance, keyed by its column names (schema.py;
    documented in docs/serving.md, "Capture rows"). `columns`: schema.capture_columns of the contract's features. Not
    mirrored yet: shadow.py fills the shadow columns of a mirrored request."""
    timestamp = _now()
    probabilities = body.get("probabilities")
    rows = []
    for index, (instance, prediction) in enumerate(zip(instances, body["predictions"], strict=True)):
        rows.append(
            {
                "request_id": body["request_id"],
                "row": index,
                "timestamp": timestamp,
                "variant": body["variant"],
                "endpoint": endpoint,
                "model_version": body["model_version"],
                "prediction": prediction,
                "probabilities": _row_of(probabilities, index, len(instances)),
                "latency_ms": latency_ms,
                **NOT_MIRRORED,
                **{column: instance.get(name) for name, column in columns.items()},
            }
        )
    return rows


def _row_of(probabilities: Any, index: int, n: int) -> dict[str, float] | None:
    """Row `index`'s {class: p}; None for a regressor (no probabilities) or an answer not one per row."""
    if isinstance(probabilities, list) and len(probabilities) == n and isinstance(probabilities[index], dict):
        return probabilities[index]
    return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
