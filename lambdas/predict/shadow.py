"""Shadow mode: a share of the champion's requests mirrored to the challenger, off the request path.

The caller's answer is the champion's, with the champion's status and latency: choosing a request and
queueing it are all the request path does. Worker threads call the challenger (their own client, with the
shorter SHADOW_TIMEOUT_SECONDS) and then hand the request's capture rows, each with both answers, to capture.
A failure, a timeout or a full queue is recorded in the rows (`shadow_error`) and counted, never raised.
Which requests: those whose request id hashes below the share (deterministic per request id; API Gateway's
ids are random, so the share holds). On Lambda the workers are frozen with the environment between
invocations, like capture (capture.py): a mirror still running when an invocation ends may be lost.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from lambdas.predict.capture import BackgroundCapture
from lambdas.predict.routing import caller_share

logger = logging.getLogger(__name__)
Invoke = Callable[[str, list[dict[str, Any]]], dict[str, Any]]
COUNTS = ("mirrored", "failed", "dropped")
Rows = list[dict[str, Any]]
# The shadow columns of a capture row (schema.capture_meta) for a request that was not mirrored.
NOT_MIRRORED: dict[str, Any] = {
    "shadowed": False,
    "shadow_model_version": None,
    "shadow_prediction": None,
    "shadow_probabilities": None,
    "shadow_latency_ms": None,
    "shadow_error": None,
}


class ShadowMirror:
    def __init__(
        self,
        invoke: Invoke,
        share: float,
        capture: BackgroundCapture | None,
        *,
        workers: int = 2,
        max_queued: int = 100,
    ) -> None:
        self.invoke, self.share, self.capture = invoke, share, capture
        self._queue: queue.Queue[tuple[str, list[dict[str, Any]], Rows, str | None]] = queue.Queue(maxsize=max_queued)
        self._counts = dict.fromkeys(COUNTS, 0)
        self._lock = threading.Lock()
        for index in range(workers):
            threading.Thread(target=self._work, name=f"shadow-{index}", daemon=True).start()

    def selected(self, request_id: str) -> bool:
        return self.share > 0 and caller_share(request_id) < self.share

    def submit(self, endpoint: str, instances: list[dict[str, Any]], rows: Rows, version: str | None) -> None:
        """Mirror one request; its capture `rows` are written once the challenger answered (or failed)."""
        try:
            self._queue.put_nowait((endpoint, instances, rows, version))
        except queue.Full:
            self._count("dropped")
            self._captured(rows, shadow_fields(len(rows), version, None, None, "dropped: the shadow queue is full"))

    def take_counts(self) -> dict[str, int]:
        """Mirrored, failed and dropped requests since the last call (for metrics)."""
        with self._lock:
            counts, self._counts = self._counts, dict.fromkeys(COUNTS, 0)
        return counts

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued mirror finished (tests)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def _count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def _captured(self, rows: Rows, fields: Rows) -> None:
        if self.capture is not None:
            for row, shadow in zip(rows, fields, strict=True):
                self.capture.submit({**row, **shadow})

    def _work(self) -> None:
        while True:
            endpoint, instances, rows, version = self._queue.get()
            try:
                self._captured(rows, self._mirror(endpoint, instances, version))
            finally:
                self._queue.task_done()

    def _mirror(self, endpoint: str, instances: list[dict[str, Any]], version: str | None) -> Rows:
        started = time.perf_counter()
        try:
            answer = self.invoke(endpoint, instances)
        except Exception as error:  # any failure of the challenger: the caller already has its answer
            self._count("failed")
            logger.warning("shadow: %s failed: %s", endpoint, error)
            error_text = f"{type(error).__name__}: {error}"
            return shadow_fields(len(instances), version, None, _elapsed(started), error_text)
        self._count("mirrored")
        return shadow_fields(len(instances), answer.get("model_version") or version, answer, _elapsed(started), None)


def shadow_fields(
    n: int, version: Any, answer: dict[str, Any] | None, latency_ms: float | None, error: str | None
) -> Rows:
    """The shadow columns of a mirrored request's `n` rows (docs/serving.md#shadow-mode): the challenger's answer
    row for row (invoke checked it has one per row), or none and why."""
    predictions = answer["predictions"] if answer else [None] * n
    probabilities = answer.get("probabilities") if answer else None
    if not isinstance(probabilities, list) or len(probabilities) != n:
        probabilities = [None] * n  # a regressor's answer
    shared = {"shadowed": True, "shadow_model_version": None if version is None else str(version)}
    return [
        {
            **shared,
            "shadow_prediction": prediction,
            "shadow_probabilities": row if isinstance(row, dict) else None,
            "shadow_latency_ms": latency_ms,
            "shadow_error": error,
        }
        for prediction, row in zip(predictions, probabilities, strict=True)
    ]


def _elapsed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
