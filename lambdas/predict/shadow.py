"""Shadow mode: a share of the champion's requests mirrored to the challenger, off the request path.

The caller's answer is the champion's, with the champion's status and latency: choosing a request and
queueing it are all the request path does. Worker threads call the challenger (their own client, with the
shorter SHADOW_TIMEOUT_SECONDS) and then hand the request's capture record, with both answers, to capture.
A failure, a timeout or a full queue is recorded in the row (`shadow_error`) and counted, never raised.
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
        self._queue: queue.Queue[tuple[str, list[dict[str, Any]], dict[str, Any], str | None]] = queue.Queue(
            maxsize=max_queued
        )
        self._counts = dict.fromkeys(COUNTS, 0)
        self._lock = threading.Lock()
        for index in range(workers):
            threading.Thread(target=self._work, name=f"shadow-{index}", daemon=True).start()

    def selected(self, request_id: str) -> bool:
        return self.share > 0 and caller_share(request_id) < self.share

    def submit(self, endpoint: str, instances: list[dict[str, Any]], record: dict[str, Any], version: str | None):
        """Mirror one request; its capture `record` is written once the challenger answered (or failed)."""
        try:
            self._queue.put_nowait((endpoint, instances, record, version))
        except queue.Full:
            self._count("dropped")
            self._captured(record, shadow_fields(endpoint, version, None, None, "dropped: the shadow queue is full"))

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

    def _captured(self, record: dict[str, Any], fields: dict[str, Any]) -> None:
        if self.capture is not None:
            self.capture.submit({**record, **fields})

    def _work(self) -> None:
        while True:
            endpoint, instances, record, version = self._queue.get()
            try:
                self._captured(record, self._mirror(endpoint, instances, version))
            finally:
                self._queue.task_done()

    def _mirror(self, endpoint: str, instances: list[dict[str, Any]], version: str | None) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            answer = self.invoke(endpoint, instances)
        except Exception as error:  # any failure of the challenger: the caller already has its answer
            self._count("failed")
            logger.warning("shadow: %s failed: %s", endpoint, error)
            return shadow_fields(endpoint, version, None, _elapsed(started), f"{type(error).__name__}: {error}")
        self._count("mirrored")
        return shadow_fields(endpoint, answer.get("model_version") or version, answer, _elapsed(started), None)


def shadow_fields(
    endpoint: str, version: Any, answer: dict[str, Any] | None, latency_ms: float | None, error: str | None
) -> dict[str, Any]:
    """What a mirrored request adds to its capture record (docs/serving.md#shadow-mode); nothing is renamed."""
    return {
        "shadow_endpoint": endpoint,
        "shadow_model_version": None if version is None else str(version),
        "shadow_predictions": answer["predictions"] if answer else None,
        "shadow_probabilities": answer.get("probabilities") if answer else None,
        "shadow_latency_ms": latency_ms,
        "shadow_error": error,
    }


def _elapsed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
