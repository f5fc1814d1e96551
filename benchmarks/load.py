"""A small closed-loop load generator: N threads, each with one keep-alive connection, for a fixed time."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(call_factory: Callable[[], Callable[[], bool]], concurrency: int, seconds: float, warmup: float) -> Result:
    """`call_factory()` gives each thread its own `call() -> ok`; latencies are kept after the warm-up."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    def worker(index: int) -> None:
        call = call_factory()
        while (now := time.perf_counter()) < stop_at:
            ok = call()
            done = time.perf_counter()
            if now >= measure_from:
                latencies[index].append(done - now)
                errors[index] += 0 if ok else 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flat = [x for chunk in latencies for x in chunk]
    return Result(len(flat), sum(errors), seconds, _percentile(flat, 0.5) * 1000, _percentile(flat, 0.99) * 1000)


def http_call(host: str, port: int, path: str, body: bytes) -> Callable[[], Callable[[], bool]]:
    def factory() -> Callable[[], bool]:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        headers = {"Content-Type": "application/json"}

        def call() -> bool:
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                response.read()
                return response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()
                return False

        return call

    return factory


def median(values: list[float]) -> float:
    return statistics.median(values)
