"""The Slack message and the webhook post: readable blocks, retries on 5xx/429, no retry on 4xx."""

from __future__ import annotations

import json
import re

import pytest

from slipstream.monitoring.alarm import notice_from_sns
from slipstream.monitoring.slack import Links, SlackDeliveryFailed, build_message, post, webhook_from_secret

DRIFT_ALARM = {
    "AlarmName": "breast-cancer-dev-drift",
    "AlarmDescription": "Feature drift above threshold on the champion. runbook: drift-above-threshold",
    "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:breast-cancer-dev-drift",
    "NewStateValue": "ALARM",
    "OldStateValue": "OK",
    "NewStateReason": "Threshold Crossed: 1 datapoint [0.61] was greater than the threshold (0.2).",
    "Trigger": {
        "MetricName": "MaxFeaturePsi",
        "Namespace": "Slipstream",
        "Statistic": "MAXIMUM",
        "Dimensions": [{"name": "Model", "value": "breast-cancer"}, {"name": "Variant", "value": "champion"}],
        "Period": 3600,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 0.2,
    },
}
LINKS = Links(dashboard="https://console.aws.amazon.com/cloudwatch/dash", runbook="https://git.example/runbook.md")


def test_alarm_message_says_what_state_why_value_vs_threshold_and_links_dashboard_and_runbook_section() -> None:
    message = build_message(notice_from_sns("ALARM: drift", json.dumps(DRIFT_ALARM)), LINKS)
    text = json.dumps(message)
    assert message["text"].startswith(":rotating_light: ALARM: Feature drift above threshold on the champion")
    assert "[0.61] was greater than the threshold (0.2)" in text
    assert "Slipstream MaxFeaturePsi (Model=breast-cancer, Variant=champion)" in text
    assert "MAXIMUM > 0.2 over 1 x 3600 s" in text
    buttons = {b["text"]["text"]: b["url"] for b in message["blocks"][-1]["elements"]}
    assert buttons == {
        "Dashboard": LINKS.dashboard,
        "Runbook: drift-above-threshold": "https://git.example/runbook.md#drift-above-threshold",
    }


def test_runbook_section_follows_the_metric_when_the_description_names_none() -> None:
    alarm = {**DRIFT_ALARM, "AlarmDescription": "", "Trigger": {"Namespace": "AWS/Lambda", "MetricName": "Throttles"}}
    notice = notice_from_sns(None, json.dumps(alarm))
    assert notice.runbook == "predict-lambda-throttles" and notice.title == DRIFT_ALARM["AlarmName"]


def test_pipeline_events_and_plain_text_are_shown_not_dropped() -> None:
    failed = {"project": "p", "stage": "dev", "run_id": "r1", "status": "failed", "error": {"Cause": "OOM"}}
    notice = notice_from_sns("[p-dev] pipeline failed", json.dumps(failed))
    assert (notice.state, notice.reason, notice.runbook) == ("failed", "OOM", "pipeline-failed-executions")
    assert notice_from_sns("hello", "just text").reason == "just text"


def test_post_retries_5xx_and_429_then_succeeds(slack) -> None:
    slack.statuses = [500, 429, 200]
    naps: list[float] = []
    assert post(slack.url, {"text": "hi"}, attempts=3, sleep=naps.append) == 3
    assert len(slack.received) == 3 and naps == [0.5, 1.0]


def test_post_gives_up_after_its_attempts_without_leaking_the_url(slack) -> None:
    slack.statuses = [500]
    with pytest.raises(SlackDeliveryFailed, match=r"500.*after 3 attempts") as error:
        post(slack.url, {"text": "hi"}, attempts=3, sleep=lambda _: None)
    assert len(slack.received) == 3 and "XXXX" not in str(error.value)


def test_post_does_not_retry_a_revoked_webhook(slack) -> None:
    slack.statuses = [404]
    with pytest.raises(SlackDeliveryFailed, match="404"):
        post(slack.url, {"text": "hi"}, attempts=3, sleep=lambda _: None)
    assert len(slack.received) == 1


def test_unreachable_slack_and_timeouts_are_retried_then_fail() -> None:
    with pytest.raises(SlackDeliveryFailed, match=r"could not be reached.*after 2 attempts"):
        post("http://127.0.0.1:9/hook", {"text": "hi"}, attempts=2, timeout=0.5, sleep=lambda _: None)


@pytest.mark.parametrize(
    ("secret", "url"),
    [("https://hooks.slack.com/x", "https://hooks.slack.com/x"), ('{"url": "https://h/y"}', "https://h/y")],
)
def test_webhook_secret_holds_a_url_or_json(secret: str, url: str) -> None:
    assert webhook_from_secret(secret) == url
    with pytest.raises(ValueError, match="URL"):
        webhook_from_secret('{"token": "x"}')


def test_every_runbook_section_an_alarm_can_link_to_exists(repo_root) -> None:
    from slipstream.monitoring.alarm import SECTIONS

    page = (repo_root / "docs" / "runbook.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([a-z0-9-]+)"></a>', page))
    linked = {"drift-above-threshold", "pipeline-failed-executions", "experiment-decided"}  # the last: decisions
    assert set(SECTIONS.values()) | linked <= anchors
    # seventeen alarm sections, the canary rollback (docs/canary.md), the experiment's decisions, the notifier wiring
    assert len(anchors) == 21


def test_batch_runs_say_where_the_results_are_and_what_was_scored() -> None:
    scored = {
        "project": "p",
        "stage": "dev",
        "file": "batch/in/x.csv",
        "status": "scored",
        "batch": {
            "output": "s3://d/batch/out/x.csv/",
            "model_version": "3",
            "summary": {"rows_scored": 9, "rows_rejected": 1},
        },
    }
    notice = notice_from_sns("[p-dev] batch scored", json.dumps(scored))
    assert (notice.state, notice.bad) == ("scored", False)
    assert notice.details and notice.details["rows"] == "9 scored, 1 rejected"
    assert notice.details["output"] == "s3://d/batch/out/x.csv/" and "version 3" in notice.reason
    failed = {
        "file": "batch/in/x.csv",
        "status": "failed",
        "batch": {},
        "error": {"Error": "States.TaskFailed", "Cause": "no features"},
    }
    notice = notice_from_sns("[p-dev] batch scoring failed", json.dumps(failed))
    assert (notice.state, notice.bad, notice.reason) == ("failed", True, "no features")
