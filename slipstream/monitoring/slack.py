"""Slack: a readable Block Kit message for a `Notice`, and a webhook post that retries what can succeed later.

One module for the notifier Lambda and `slipstream notify --test`. Only the standard library: the Lambda
needs no extra package. The webhook URL is a secret: it never appears in an exception or a log line.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slipstream.monitoring.alarm import Notice

logger = logging.getLogger(__name__)
ICONS = {"ALARM": ":rotating_light:", "OK": ":white_check_mark:", "INSUFFICIENT_DATA": ":grey_question:"}
MAX_ANSWER = 64 * 1024  # bytes of Slack's answer read (it says `ok`)
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
    deadline: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST `message` to the webhook; retry 429, 5xx, timeouts and connection errors with backoff.

    Returns the number of attempts used. Raises SlackDeliveryFailed once attempts run out, at once on an
    answer that no retry can change (400 invalid payload, 403/404 revoked webhook, a redirect, any non-2xx),
    and when `deadline` seconds have passed in all: `timeout` bounds each socket read, not an answer a server
    drips a byte at a time, so each attempt runs on a thread this call stops waiting for.
    """
    data = json.dumps(message).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    ends = time.monotonic() + deadline
    last, out_of_time = "", False
    for attempt in range(1, attempts + 1):
        wait = backoff * 2 ** (attempt - 1)
        try:
            _attempt(request, timeout, ends - time.monotonic())
            return attempt
        except urllib.error.HTTPError as error:
            last = f"Slack answered {error.code}: {_excerpt(error)}"
            if error.code != 429 and error.code < 500:
                raise SlackDeliveryFailed(last) from None
            wait = max(wait, _retry_after(error.headers.get("Retry-After")))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            last = f"Slack could not be reached ({type(reason).__name__})"
        logger.warning("Slack delivery attempt %d of %d failed: %s", attempt, attempts, last)
        if attempt < attempts:
            if time.monotonic() + wait >= ends:
                out_of_time = True
                break
            sleep(wait)
    if out_of_time or time.monotonic() >= ends:
        raise SlackDeliveryFailed(f"{last}; gave up at the {deadline:g} s deadline (after {attempt} attempts)")
    raise SlackDeliveryFailed(f"{last} (after {attempts} attempts)")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is not the webhook: its 3xx is the answer (and fails), never followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _attempt(request: urllib.request.Request, timeout: float, remaining: float) -> None:
    """One POST and its whole answer within `remaining` seconds; raises what urlopen raises, or TimeoutError."""
    if remaining <= 0:
        raise TimeoutError("deadline passed")
    outcome: queue.Queue[BaseException | None] = queue.Queue()

    def send() -> None:
        try:
            with _OPENER.open(request, timeout=min(timeout, remaining)) as response:
                if not 200 <= response.status < 300:  # urlopen passes 1xx/2xx-only quirks; only 2xx is success
                    raise urllib.error.HTTPError(request.full_url, response.status, "not 2xx", response.headers, None)
                response.read(MAX_ANSWER)
            outcome.put(None)
        except BaseException as error:  # handed to the caller's thread, which raises it
            outcome.put(error)

    threading.Thread(target=send, name="slack-post", daemon=True).start()
    try:
        error = outcome.get(timeout=remaining)
    except queue.Empty:
        raise TimeoutError(f"no whole answer within {remaining:.1f} s") from None
    if error is not None:
        raise error


def _excerpt(error: urllib.error.HTTPError) -> str:
    try:
        return (error.read() or b"")[:200].decode(errors="replace")
    except Exception:  # an answer without a readable body (a redirect, a dropped connection)
        return error.reason if isinstance(error.reason, str) else ""


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
