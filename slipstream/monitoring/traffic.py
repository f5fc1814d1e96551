"""Captured traffic as tables: one row per predicted instance, and the ground truth sent as feedback.

Capture rows are the warehouse's `captures` table (slipstream.warehouse.schema): written by the predict
Lambda (`lambdas.predict.service.capture_rows`), one flat JSON object per predicted instance keyed by the
table's column names, meta columns then one column per feature; as JSON Lines from a local file or S3, or as
Parquet rows (the same dicts) on AWS. `traffic_from_rows` is the one reader: every consumer (drift, the
experiment Lambda, `slipstream monitor`, local experiments and canaries) turns rows into `Traffic` here, with
feature columns back under their feature names. Feedback records (`PredictionService.record_feedback`) are
request_id, row, ground_truth, received_at.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from slipstream.warehouse.schema import DT, capture_columns, capture_meta

logger = logging.getLogger(__name__)
META = ["request_id", "row", "timestamp", "variant", "model_version", "prediction", "probabilities", "latency_ms"]
# Shadow mode's columns: missing values on a request that was not mirrored (`shadowed` False).
SHADOW_META = ["shadowed", "shadow_model_version", "shadow_prediction", "shadow_latency_ms", "shadow_error"]
# Every column of a capture row that is not a feature (the task does not change the names).
NOT_FEATURES = frozenset([*(c.name for c in capture_meta("classification")), DT.name])


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

    def named(self, features: Sequence[str]) -> Traffic:
        """Feature columns (`mean_radius`) back under the feature names (`mean radius`) of a contract or
        baseline listing `features` in its order; a feature no row carries is absent (drift reports it)."""
        columns = capture_columns(features)
        present = {column: name for name, column in columns.items() if column in self.features.columns}
        return Traffic(self.features[list(present)].rename(columns=present), self.meta, self.skipped)


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


def traffic_from_rows(
    rows: Iterable[dict[str, Any]], features: Sequence[str] | None = None, skipped: int = 0
) -> Traffic:
    """Capture rows as Traffic. With `features` (the contract's or a baseline's names, in order) the feature
    frame is keyed by feature name (`Traffic.named`); without, by column name, for a reader that learns the
    features later (the drift Lambda, from each version's baseline). A row without `request_id` or
    a `prediction` (not a capture row: a record of the older nested format, a stray object) is skipped."""
    values: list[dict[str, Any]] = []
    meta: list[dict[str, Any]] = []
    for row in rows:
        if row.get("request_id") is None or row.get("prediction") is None:
            skipped += 1
            continue
        values.append({k: v for k, v in row.items() if k not in NOT_FEATURES})
        meta.append(_meta(row))
    if skipped:
        logger.warning("skipped %d capture lines that were not capture rows", skipped)
    traffic = Traffic(pd.DataFrame(values), pd.DataFrame(meta, columns=[*META, *SHADOW_META]), skipped)
    return traffic if features is None else traffic.named(features)


def baseline_features(baselines: Mapping[str, dict[str, Any] | None]) -> list[str]:
    """The feature names the baselines list, in their order (a later version's new features after them): what
    `Traffic.named` needs when the contract is not at hand."""
    names: dict[str, None] = {}
    for baseline in baselines.values():
        names |= dict.fromkeys((baseline or {}).get("features") or {})
    return list(names)


def _meta(row: dict[str, Any]) -> dict[str, Any]:
    version = row.get("model_version")
    meta = {
        "request_id": row["request_id"],
        "row": int(row.get("row") or 0),
        "timestamp": row.get("timestamp"),
        "variant": row.get("variant") or "champion",
        "model_version": "unknown" if version is None else str(version),
        "prediction": row["prediction"],
        "probabilities": row.get("probabilities"),
        "latency_ms": row.get("latency_ms"),
        "shadowed": bool(row.get("shadowed")),
    }
    if meta["shadowed"]:
        shadow_version = row.get("shadow_model_version")
        answer = row.get("shadow_prediction")
        meta |= {
            "shadow_model_version": None if shadow_version is None else str(shadow_version),
            "shadow_prediction": answer,
            "shadow_latency_ms": row.get("shadow_latency_ms"),
            "shadow_error": row.get("shadow_error") or (None if answer is not None else "no usable answer"),
        }
    return meta


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
