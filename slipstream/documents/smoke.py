"""SmokeTest's request and result: the state machine rolls back when `passed` is false."""

from __future__ import annotations

from slipstream.documents.base import Document


class SmokeRequest(Document):
    run_id: str
    endpoint_name: str
    contract_uri: str
    baseline_uri: str


class SmokeResult(Document):
    passed: bool
    endpoint: str
    examples: int
    problems: list[str]
