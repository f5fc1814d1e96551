"""SmokeTest's request and result: the state machine rolls back when `passed` is false."""

from __future__ import annotations

from typing import Literal

from slipstream.documents.base import Document

# The smoke test's caller id (sent in the API's caller header). Its stable share (lambdas/predict/routing.py:
# crc32 / 2**32 = 0.99998) lands on the champion side of any challenger weight below that, so the test checks the
# champion; and the predict service neither captures nor mirrors its requests: the minimum-functionality rows
# are extreme on purpose and would read as drift on a quiet endpoint.
SMOKE_CALLER_ID = "slipstream-smoke-test-6787"


class SmokeRequest(Document):
    run_id: str
    endpoint_name: str
    contract_uri: str
    baseline_uri: str
    # "api": through the prediction API (the champion's endpoint behind it); "endpoint": the endpoint itself
    # (a challenger or canary, which the API does not route to until its experiment starts).
    via: Literal["api", "endpoint"] = "endpoint"
    model_version: str | None = None  # the version just registered: the answer must come from it


class SmokeResult(Document):
    passed: bool
    endpoint: str
    examples: int
    problems: list[str]
