"""A small closed-loop load generator: N threads, each with one keep-alive connection, for a fixed time."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tree_cpu import cpu_between, tree_cpu


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_seconds: float = float("nan")  # the server's process tree over the measured window

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_seconds / self.requests * 1000 if self.requests else float("nan")


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _cpu_window(server_pid: int | None, start: float, end: float, into: list[float]) -> None:
    """CPU seconds of the server's process tree from `start` to `end` (perf_counter times), into `into`."""
    if server_pid is None:
        return
    time.sleep(max(0.0, start - time.perf_counter()))
    before = tree_cpu(server_pid)
    time.sleep(max(0.0, end - time.perf_counter()))
    into.append(cpu_between(before, tree_cpu(server_pid)))


def run(
    call_factory: Callable[[], Callable[[], bool]],
    concurrency: int,
    seconds: float,
    warmup: float,
    server_pid: int | None = None,
) -> Result:
    """`call_factory()` gives each thread its own `call() -> ok`; latencies are kept after the warm-up, and the
    CPU that `server_pid` and its descendants spend over the same window is measured beside them."""
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

    cpu: list[float] = []
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    threads.append(threading.Thread(target=_cpu_window, args=(server_pid, measure_from, stop_at, cpu)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flat = [x for chunk in latencies for x in chunk]
    p50, p99 = _percentile(flat, 0.5) * 1000, _percentile(flat, 0.99) * 1000
    return Result(len(flat), sum(errors), seconds, p50, p99, cpu[0] if cpu else float("nan"))


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
