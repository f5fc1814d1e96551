"""Overlapping the batch scorer's reading and writing with its scoring: pyarrow reads and writes, and numpy
scores, without holding the GIL, so on two cores the three stages run side by side instead of one after another.
Both helpers keep at most a couple of chunks in flight, so memory stays bounded by the chunk size.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from queue import Empty, Full, Queue
from typing import Any, TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.1


class _Producer(threading.Thread):
    """Puts ("item", x) for each item, then ("done", None), or ("error", exception); gives up once stopped."""

    def __init__(self, items: Iterable[Any], queue: Queue[tuple[str, Any]]) -> None:
        super().__init__(name="batch-reader", daemon=True)
        self.items, self.queue, self.stop = items, queue, threading.Event()

    def put(self, kind: str, value: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put((kind, value), timeout=POLL_SECONDS)
                return True
            except Full:
                continue
        return False

    def run(self) -> None:
        try:
            for item in self.items:
                if not self.put("item", item):
                    return
            self.put("done", None)
        except BaseException as error:  # handed to the consumer, which raises it in its own thread
            self.put("error", error)


def prefetched(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """`items`, produced on a thread of their own up to `depth` ahead; the producer's exception is raised here."""
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    producer = _Producer(items, queue)
    producer.start()
    try:
        while True:
            kind, value = _next(queue, producer)
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        producer.stop.set()
        producer.join()


def _next(queue: Queue[tuple[str, Any]], producer: _Producer) -> tuple[str, Any]:
    while True:
        try:
            return queue.get(timeout=POLL_SECONDS)
        except Empty:
            if not producer.is_alive() and queue.empty():
                raise RuntimeError("the reading thread ended without a word") from None


class Background:
    """Calls run one at a time, in order, on one thread; at most one waits while the next chunk is scored."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-writer")
        self._pending: Future[None] | None = None

    def submit(self, call: Callable[..., None], *args: Any) -> None:
        self.wait()
        self._pending = self._pool.submit(call, *args)

    def wait(self) -> None:
        """Until the last call is done; raises its exception."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)
