"""Deployment records for tests: whole VariantRecords, differing only where a test says."""

from __future__ import annotations

from typing import Any

from slipstream.documents.deployment import DeploymentRecord, VariantRecord


def variant(version: str, **fields: Any) -> VariantRecord:
    base: dict[str, Any] = {"endpoint": f"m-v{version}", "version": version, "gate": "passed"}
    return VariantRecord.model_validate({"registered_at": "2026-01-01T00:00:00+00:00", **base, **fields})


def record(champion: VariantRecord | None, challenger: VariantRecord | None = None) -> DeploymentRecord:
    return DeploymentRecord(champion=champion, challenger=challenger)
