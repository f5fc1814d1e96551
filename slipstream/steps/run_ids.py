"""Run ids, which name executions: Step Functions refuses a second execution with the same name, so the same
data (same ETag) is trained once. Used by the StartPipeline Lambda and by `slipstream.cli.cloud_run`."""

from __future__ import annotations

import re
from datetime import datetime

# The longest run id either trigger makes (`sched-YYYYMMDD-` + 16): SageMaker names embed it (cdk/shared/settings.py).
MAX_RUN_ID_LENGTH = 31


def etag_digest(etag: str, size: int) -> str:
    return re.sub(r"[^a-z0-9]", "", etag.lower())[:size]


def run_id_for_new_data(etag: str) -> str:
    return f"data-{etag_digest(etag, 24)}"


def run_id_for_schedule(day: datetime, etag: str) -> str:
    """One deliberate retrain per day on the newest data."""
    return f"sched-{day:%Y%m%d}-{etag_digest(etag, 16)}"
