"""Run ids, which name executions: Step Functions refuses a second execution with the same name, so the same
data (same ETag) is trained once, whichever trigger asks (new data, the schedule, an alarm). Used by the
StartPipeline Lambda and by `slipstream.cli.cloud_run` (whose `--force` names a deliberate retrain apart)."""

from __future__ import annotations

import re
from datetime import datetime

# The longest run id we make (a forced retrain, `force-YYYYMMDDHHMM-` + 12): SageMaker names embed it
# (cdk/shared/settings.py).
MAX_RUN_ID_LENGTH = 31


def etag_digest(etag: str, size: int) -> str:
    return re.sub(r"[^a-z0-9]", "", etag.lower())[:size]


def run_id_for_new_data(etag: str) -> str:
    return f"data-{etag_digest(etag, 24)}"


def run_id_for_forced_retrain(when: datetime, etag: str) -> str:
    """A deliberate retrain on data already trained on: named by the minute, so it is not refused as a repeat."""
    return f"force-{when:%Y%m%d%H%M}-{etag_digest(etag, 12)}"
