"""Slack: a readable Block Kit message for a `Notice`, and a webhook post that retries what can succeed later.

One module for the notifier Lambda and `slipstream notify --test`. Only the standard library: the Lambda
needs no extra package. The webhook URL is a secret: it never appears in an exception or a log line.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slipstream.monitoring.alarm import Notice

logger = logging.getLogger(__name__)
ICONS = {"ALARM": ":rotating_light:", "OK": ":white_check_mark:", "INSUFFICIENT_DATA": ":grey_question:"}
MAX_RETRY_AFTER = 10.0  # seconds; a longer Retry-After is Lambda's async retry's job, not a sleeping function


class SlackDeliveryFailed(RuntimeError):
    """Slack did not take the message. Raised so the Lambda invocation fails and the event is kept."""


@dataclass(frozen=True)
class Links:
    dashboard: str | None = None
    runbook: str | None = None  # base URL of docs/runbook.md; the notice's anchor is appended


def build_message(notice: Notice, links: Links) -> dict[str, Any]:
    """`text` is the fallback phone notifications show; `blocks` is what the channel shows."""
    icon = ICONS.get(notice.state, ":x:" if notice.bad else ":information_source:")
    headline = f"{icon} {notice.state}: {notice.title}"
    fields = [("State", notice.state)]
    if notice.alarm_name:
        fields.append(("Alarm", notice.alarm_name))
    if notice.metric:
        fields.append(("Metric", notice.metric))
    if notice.condition:
        fields.append(("Threshold", notice.condition))
    fields += [(key.replace("_", " ").capitalize(), str(value)) for key, value in (notice.details or {}).items()]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Why:* {notice.reason}"[:3000]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"[:2000]} for k, v in fields[:10]]},
    ]
    buttons = []
    if links.dashboard:
        buttons.append(_button("Dashboard", links.dashboard))
    if links.runbook:
        anchor = f"#{notice.runbook}" if notice.runbook else ""
        buttons.append(_button("Runbook" + (f": {notice.runbook}" if notice.runbook else ""), links.runbook + anchor))
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return {"text": f"{headline}: {notice.reason}"[:3000], "blocks": blocks}


def _button(label: str, url: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": label[:75]}, "url": url}


def post(
    url: str,
    message: dict[str, Any],
    *,
    attempts: int = 3,
    timeout: float = 5.0,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST `message` to the webhook; retry 429, 5xx, timeouts and connection errors with backoff.

    Returns the number of attempts used. Raises SlackDeliveryFailed once attempts run out, or at once on
    an answer that no retry can change (400 invalid payload, 403/404 revoked webhook).
    """
    data = json.dumps(message).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    last = ""
    for attempt in range(1, attempts + 1):
        wait = backoff * 2 ** (attempt - 1)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                return attempt
        except urllib.error.HTTPError as error:
            last = f"Slack answered {error.code}: {error.read()[:200].decode(errors='replace')}"
            if error.code != 429 and error.code < 500:
                raise SlackDeliveryFailed(last) from None
            wait = max(wait, _retry_after(error.headers.get("Retry-After")))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            last = f"Slack could not be reached ({type(reason).__name__})"
        logger.warning("Slack delivery attempt %d of %d failed: %s", attempt, attempts, last)
        if attempt < attempts:
            sleep(wait)
    raise SlackDeliveryFailed(f"{last} (after {attempts} attempts)")


def _retry_after(header: str | None) -> float:
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(header or 0)))
    except ValueError:
        return 0.0


def webhook_from_secret(value: str) -> str:
    """The secret holds the URL itself, or JSON with a `url` / `webhook_url` key."""
    text = value.strip()
    if text.startswith("{"):
        body = json.loads(text)
        text = str(body.get("url") or body.get("webhook_url") or "")
    if not text.startswith(("https://", "http://")):
        raise ValueError("the Slack webhook secret must hold a URL, or JSON with a 'url' key")
    return text
