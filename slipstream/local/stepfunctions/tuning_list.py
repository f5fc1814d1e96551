"""ListTrainingJobsForHyperParameterTuningJob over an emulated tuning job's trials (tuning_jobs.py), which moto
lacks: SageMaker's filter, sort orders and pages (no moto here; the patch is moto_extensions/tuning_jobs.py).

As the API reference says: MaxResults defaults to 10, SortBy to Name and SortOrder to Ascending; sorting by
FinalObjectiveMetricValue leaves out the trials that returned no objective. The NextToken is opaque to callers:
here it is the position of the next page in the same listing, refused for another job or a bad value.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from slipstream.local.stepfunctions.tuning_jobs import Trial

DEFAULT_PAGE = 10
SORT_KEYS: dict[str, Callable[[Trial], Any]] = {
    "Name": lambda t: t.name,
    "CreationTime": lambda t: t.created,
    "Status": lambda t: t.status,
    "FinalObjectiveMetricValue": lambda t: t.objective,
}


class BadListRequest(ValueError):
    """A ValidationException's message."""


def page_of(
    trials: list[Trial],
    *,
    job_name: str,
    max_results: int | None = None,
    next_token: str | None = None,
    status: str | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
) -> tuple[list[Trial], str | None]:
    """One page of the job's trials and the token of the next page (None on the last)."""
    sort_by, descending = sort_by or "Name", sort_order == "Descending"
    chosen = [t for t in trials if status is None or t.status == status]
    if sort_by == "FinalObjectiveMetricValue":
        chosen = [t for t in chosen if t.objective is not None]
    chosen.sort(key=SORT_KEYS[sort_by], reverse=descending)
    start = _position(next_token, job_name) if next_token else 0
    end = start + (max_results or DEFAULT_PAGE)
    following = _token(job_name, end) if end < len(chosen) else None
    return chosen[start:end], following


def _token(job_name: str, position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"job": job_name, "at": position}).encode()).decode()


def _position(token: str, job_name: str) -> int:
    try:
        found = json.loads(base64.urlsafe_b64decode(token.encode()))
        position = int(found["at"]) if found.get("job") == job_name else -1
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        position = -1
    if position < 0:
        raise BadListRequest(f"Invalid pagination token for tuning job {job_name}")
    return position
