"""Capture of every prediction, off the request path: a bounded queue drained by one background thread.

A prediction never waits for, or fails because of, capture: when the queue is full the record is dropped,
and a failed write is logged; both are counted and reported as metrics by the next request
(`take_counts`). On Lambda the thread is frozen between invocations and resumes with the next one, so
records queued by an environment's last invocation can be lost when Lambda reclaims it: capture is a
sample for drift monitoring, not an audit log.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from lambdas.predict.sinks import Sink

logger = logging.getLogger(__name__)
BATCH = 100


class BackgroundCapture:
    def __init__(self, sink: Sink, max_queued: int = 10_000) -> None:
        self.sink = sink
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=max_queued)
        self._counts = {"dropped": 0, "failed": 0}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, name="capture", daemon=True)
        self._thread.start()

    def submit(self, record: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self._count("dropped", 1)

    def take_counts(self) -> dict[str, int]:
        """Dropped and failed records since the last call (for metrics)."""
        with self._lock:
            counts, self._counts = self._counts, {"dropped": 0, "failed": 0}
        return counts

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued record was handed to the sink (tests, and shutting a server down)."""
        done = threading.Event()

        def wait_for_queue() -> None:
            self._queue.join()
            done.set()

        waiter = threading.Thread(target=wait_for_queue, daemon=True)
        waiter.start()
        return done.wait(timeout)

    def _count(self, key: str, n: int) -> None:
        with self._lock:
            self._counts[key] += n

    def _drain(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.sink.put(batch)
            except Exception:  # any sink failure: log it, count it, keep serving
                logger.exception("capture: writing %d records failed", len(batch))
                self._count("failed", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()
