"""The emulated ListTrainingJobsForHyperParameterTuningJob's pages, filter and orders (SageMaker's defaults)."""

from datetime import UTC, datetime, timedelta

import pytest

from slipstream.local.stepfunctions.tuning_jobs import Trial
from slipstream.local.stepfunctions.tuning_list import DEFAULT_PAGE, BadListRequest, page_of

JOB = "0123456789abcdef0123456789abcdef"
START = datetime(2026, 1, 1, tzinfo=UTC)


def _trials(count: int) -> list[Trial]:
    return [
        Trial(
            f"{JOB}-{i:03d}-{(count - i):08x}",
            {},
            "Failed" if i % 4 == 0 else "Completed",
            None if i % 4 == 0 else i / 100,
            created=START + timedelta(seconds=count - i),
        )
        for i in range(1, count + 1)
    ]


def test_pages_of_ten_by_default_follow_their_tokens_to_every_trial() -> None:
    trials, seen, token = _trials(23), [], None
    while True:
        page, token = page_of(trials, job_name=JOB, next_token=token)
        assert len(page) <= DEFAULT_PAGE
        seen += page
        if token is None:
            break
    assert [t.name for t in seen] == sorted(t.name for t in trials)  # by Name, ascending, each once


def test_sorting_by_the_objective_leaves_out_the_trials_without_one() -> None:
    page, token = page_of(
        _trials(8), job_name=JOB, max_results=100, sort_by="FinalObjectiveMetricValue", sort_order="Descending"
    )
    assert token is None and [t.objective for t in page] == [0.07, 0.06, 0.05, 0.03, 0.02, 0.01]


def test_status_filters_and_creation_time_orders() -> None:
    page, _ = page_of(_trials(8), job_name=JOB, max_results=100, status="Failed", sort_by="CreationTime")
    assert [t.name[33:36] for t in page] == ["008", "004"]  # created in reverse order of their index


@pytest.mark.parametrize("token", ["not base64 !", "eyJqb2IiOiAib3RoZXIiLCAiYXQiOiAxMH0="])
def test_a_token_of_another_job_or_no_token_at_all_is_refused(token: str) -> None:
    with pytest.raises(BadListRequest, match="Invalid pagination token"):
        page_of(_trials(3), job_name=JOB, next_token=token)
