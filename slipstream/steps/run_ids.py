"""Run ids, which name executions: Step Functions refuses a second execution with the same name, so the same
data (same ETag) is trained once. Used by the StartPipeline Lambda and by `slipstream.cloud_run`."""

from __future__ import annotations

import re


def etag_digest(etag: str, size: int) -> str:
    return re.sub(r"[^a-z0-9]", "", etag.lower())[:size]


def run_id_for_new_data(etag: str) -> str:
    return f"data-{etag_digest(etag, 24)}"
