"""The notifier Lambda with moto Secrets Manager and a local Slack: payload delivered; when Slack keeps
failing, the invocation fails, and Lambda's async retries then its on-failure destination (an SQS queue
here, via moto) keep the event, which replays intact once Slack is back: nothing lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdas.common.env import load_env
from lambdas.slack_notifier import handler as notifier
from slipstream.monitoring.slack import SlackDeliveryFailed
from tests.unit.monitoring.test_slack import DRIFT_ALARM

SECRET = "breast-cancer/slack-webhook"
ASYNC_RETRIES = 2  # Lambda's default for asynchronous invocations (the stack sets it explicitly)


def sns_event(message: dict[str, Any], subject: str = "ALARM: drift") -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:events:sub",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:events",
                    "Subject": subject,
                    "Message": json.dumps(message),
                    "Timestamp": "2026-01-01T00:00:00.000Z",
                    "SignatureVersion": "1",
                    "Signature": "x",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/cert.pem",
                    "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def invoke_async(event: dict[str, Any], context: Any, sqs: Any, dlq_url: str) -> bool:
    """What Lambda does with an asynchronous (SNS) invocation: the first try plus ASYNC_RETRIES, then the
    on-failure destination gets the event wrapped in its invocation record. True when delivered."""
    for _ in range(1 + ASYNC_RETRIES):
        try:
            notifier.handler(event, context)
            return True
        except Exception as error:
            failure = {"errorMessage": str(error), "errorType": type(error).__name__}
    record = {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(),
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 1 + ASYNC_RETRIES},
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
        "responsePayload": failure,
    }
    sqs.send_message(QueueUrl=dlq_url, MessageBody=json.dumps(record))
    return False


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, slack) -> Iterator[dict[str, Any]]:
    with mock_aws():
        boto3.client("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps({"url": slack.url}))
        sqs = boto3.client("sqs")
        dlq_url = sqs.create_queue(QueueName="notifier-dlq")["QueueUrl"]
        for name, value in {
            "POWERTOOLS_SERVICE_NAME": "slack-notifier",
            "SLACK_WEBHOOK_SECRET": SECRET,
            "DASHBOARD_URL": "https://console.aws.amazon.com/cloudwatch/home#dashboards:name=breast-cancer-dev",
            "RUNBOOK_URL": "https://github.com/acme/slipstream/blob/main/docs/runbook.md",
            "SLACK_ATTEMPTS": "2",
        }.items():
            monkeypatch.setenv(name, value)
        for cached in (load_env, notifier.webhook, notifier._secrets_client):
            cached.cache_clear()
        yield {"sqs": sqs, "dlq_url": dlq_url}
        for cached in (load_env, notifier.webhook, notifier._secrets_client):
            cached.cache_clear()


def test_alarm_is_posted_to_the_webhook_read_from_secrets_manager(aws, slack, lambda_context) -> None:
    assert notifier.handler(sns_event(DRIFT_ALARM), lambda_context) == {"delivered": 1}
    (payload,) = slack.received
    assert "ALARM: Feature drift above threshold" in payload["blocks"][0]["text"]["text"]
    assert "0.61" in payload["blocks"][1]["text"]["text"]
    urls = [button["url"] for button in payload["blocks"][-1]["elements"]]
    assert urls == [
        "https://console.aws.amazon.com/cloudwatch/home#dashboards:name=breast-cancer-dev",
        "https://github.com/acme/slipstream/blob/main/docs/runbook.md#drift-above-threshold",
    ]


def test_the_secret_is_read_once_per_environment(aws, slack, lambda_context, monkeypatch) -> None:
    notifier.handler(sns_event(DRIFT_ALARM), lambda_context)
    calls: list[str] = []
    client = notifier._secrets_client()
    original = client.get_secret_value
    monkeypatch.setattr(client, "get_secret_value", lambda **kw: calls.append(kw["SecretId"]) or original(**kw))
    notifier.handler(sns_event(DRIFT_ALARM), lambda_context)
    assert calls == [] and len(slack.received) == 2


def test_slack_500_is_retried_then_the_event_lands_in_the_dlq_and_replays_intact(aws, slack, lambda_context) -> None:
    slack.statuses = [500]
    event = sns_event(DRIFT_ALARM)
    with pytest.raises(SlackDeliveryFailed, match="500"):
        notifier.handler(event, lambda_context)
    assert len(slack.received) == 2  # SLACK_ATTEMPTS within one invocation

    slack.received.clear()
    assert invoke_async(event, lambda_context, aws["sqs"], aws["dlq_url"]) is False
    assert len(slack.received) == 2 * (1 + ASYNC_RETRIES)
    messages = aws["sqs"].receive_message(QueueUrl=aws["dlq_url"], MaxNumberOfMessages=10)["Messages"]
    (kept,) = [json.loads(m["Body"]) for m in messages]
    assert kept["requestPayload"] == event and "500" in kept["responsePayload"]["errorMessage"]

    # The runbook's replay: invoke the notifier with requestPayload once Slack answers again.
    slack.statuses, slack.received[:] = [200], []
    assert notifier.handler(kept["requestPayload"], lambda_context) == {"delivered": 1}
    assert "Feature drift above threshold" in slack.received[0]["text"]
