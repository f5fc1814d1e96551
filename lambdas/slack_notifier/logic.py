"""Deliver each SNS record to Slack. A record Slack does not take raises, failing the invocation, so Lambda's
asynchronous retries and then its on-failure destination (the notifier DLQ) keep the whole event.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from slipstream.monitoring.alarm import notice_from_sns
from slipstream.monitoring.slack import Links, build_message, post, webhook_from_secret


class SecretWebhook:
    """The webhook URL from Secrets Manager: read on first use, then cached for `max_age` seconds.

    `forget()` drops the cached URL, so a rotated secret is picked up by the next attempt.
    """

    def __init__(self, client: Callable[[], Any], secret_id: str, max_age: float = 300.0) -> None:
        self._client, self._secret_id, self._max_age = client, secret_id, max_age
        self._url: str | None = None
        self._read_at = -float("inf")

    def __call__(self) -> str:
        if self._url is None or time.monotonic() - self._read_at > self._max_age:
            value = self._client().get_secret_value(SecretId=self._secret_id)["SecretString"]
            self._url, self._read_at = webhook_from_secret(value), time.monotonic()
        return self._url

    def forget(self) -> None:
        self._url = None


def deliver(
    messages: list[tuple[str | None, str]],
    webhook: SecretWebhook,
    links: Links,
    *,
    attempts: int = 3,
    timeout: float = 5.0,
    backoff: float = 0.5,
) -> list[str]:
    """Post each (subject, message); returns the runbook anchor (or "") of each. Raises SlackDeliveryFailed."""
    sent = []
    for subject, text in messages:
        notice = notice_from_sns(subject, text)
        try:
            post(webhook(), build_message(notice, links), attempts=attempts, timeout=timeout, backoff=backoff)
        except Exception:
            webhook.forget()  # maybe the webhook was rotated: the retry reads the secret again
            raise
        sent.append(notice.runbook or "")
    return sent
