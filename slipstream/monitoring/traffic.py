"""Captured traffic as tables: one row per predicted instance, and the ground truth sent as feedback.

Capture records are written by the predict Lambda (`lambdas.predict.service.capture_record`, one JSON
object per request: request_id, timestamp, variant, endpoint, model_version, latency_ms, instances,
predictions, probabilities; a request mirrored to the challenger in shadow mode adds shadow_endpoint,
shadow_model_version, shadow_predictions, shadow_probabilities, shadow_latency_ms and shadow_error, and stays
the champion's: its `variant` is who answered the caller). Feedback records
(`PredictionService.record_feedback`) are request_id, row, ground_truth, received_at. Both arrive as JSON
Lines, from a local file or from S3/DynamoDB.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)
META = ["request_id", "row", "timestamp", "variant", "model_version", "prediction", "probabilities", "latency_ms"]
# Shadow mode's columns: missing values on a request that was not mirrored (`shadowed` False).
SHADOW_META = ["shadowed", "shadow_model_version", "shadow_prediction", "shadow_latency_ms", "shadow_error"]


@dataclass(frozen=True)
class Traffic:
    """`features` and `meta` have the same index: row i of one describes row i of the other."""

    features: pd.DataFrame
    meta: pd.DataFrame
    skipped: int = 0  # lines that were not valid capture records

    def __len__(self) -> int:
        return len(self.meta)

    def for_version(self, version: str) -> Traffic:
        mask = self.meta["model_version"] == version
        return Traffic(self.features[mask], self.meta[mask])

    @property
    def versions(self) -> list[str]:
        return sorted(self.meta["model_version"].unique(), key=_version_order)


def parse_lines(lines: Iterable[str | bytes]) -> tuple[list[dict[str, Any]], int]:
    """JSON objects of the non-blank lines, and how many lines were not JSON objects (a torn last line)."""
    records, skipped = [], 0
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            skipped += 1
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            skipped += 1
    return records, skipped


def traffic_from_records(records: Iterable[dict[str, Any]], skipped: int = 0) -> Traffic:
    """One row per instance. Records without instances or with a prediction count mismatch are skipped."""
    rows: list[dict[str, Any]] = []
    meta: list[dict[str, Any]] = []
    for record in records:
        instances, predictions = record.get("instances"), record.get("predictions")
        if not isinstance(instances, list) or not isinstance(predictions, list) or len(instances) != len(predictions):
            skipped += 1
            continue
        version = "unknown" if record.get("model_version") is None else str(record["model_version"])
        probabilities = record.get("probabilities")
        if not isinstance(probabilities, list) or len(probabilities) != len(predictions):
            probabilities = [None] * len(predictions)  # a regressor's answer, or a malformed one
        shadow = _shadow_predictions(record, len(predictions))
        for index, (instance, prediction) in enumerate(zip(instances, predictions, strict=True)):
            rows.append(instance if isinstance(instance, dict) else {})
            meta.append(
                {
                    **_shadow_row(record, shadow, index),
                    "request_id": record.get("request_id"),
                    "row": index,
                    "timestamp": record.get("timestamp"),
                    "variant": record.get("variant") or "champion",
                    "model_version": version,
                    "prediction": prediction,
                    "probabilities": probabilities[index],
                    "latency_ms": record.get("latency_ms"),
                }
            )
    if skipped:
        logger.warning("skipped %d capture lines that were not prediction records", skipped)
    return Traffic(pd.DataFrame(rows), pd.DataFrame(meta, columns=[*META, *SHADOW_META]), skipped)


def _shadow_predictions(record: dict[str, Any], n: int) -> list[Any] | None:
    """The challenger's answers to a mirrored request, row for row; None when it was not mirrored or failed."""
    if "shadow_endpoint" not in record:
        return None
    answers = record.get("shadow_predictions")
    return answers if isinstance(answers, list) and len(answers) == n else []


def _shadow_row(record: dict[str, Any], shadow: list[Any] | None, index: int) -> dict[str, Any]:
    if shadow is None:
        return {"shadowed": False}
    version = record.get("shadow_model_version")
    return {
        "shadowed": True,
        "shadow_model_version": None if version is None else str(version),
        "shadow_prediction": shadow[index] if shadow else None,
        "shadow_latency_ms": record.get("shadow_latency_ms"),
        "shadow_error": record.get("shadow_error") or (None if shadow else "no usable answer"),
    }


def labels_as_text(values: pd.Series) -> pd.Series:
    """Labels as text, so 1, 1.0 (an integer label column that a missing answer turned into floats) and "1"
    agree: the contract carries labels as text, the feedback and the capture as whatever JSON they came as."""
    return values.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))


def feedback_frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """request_id, row, ground_truth, received_at; a row sent twice keeps its latest answer."""
    frame = pd.DataFrame(
        [
            {
                "request_id": r.get("request_id"),
                "row": int(r.get("row") or 0),
                "ground_truth": r.get("ground_truth"),
                "received_at": r.get("received_at"),
            }
            for r in records
            if r.get("request_id") is not None
        ],
        columns=["request_id", "row", "ground_truth", "received_at"],
    )
    return frame.drop_duplicates(["request_id", "row"], keep="last")


def _version_order(version: str) -> tuple[int, int | str]:
    return (0, int(version)) if version.isdigit() else (1, version)
