"""Reliability benchmark (not a test): requests lost and time to recover when a serving process is killed.

    .venv/bin/python benchmarks/reliability.py [--quick]

`slipstream serve`'s servers (2 fronts, the endpoint server, one model container with 2 gunicorn workers) on a
copy of the champion's state, under a closed loop of single-row requests (2 clients, a new connection each).
First a run without faults, then kill -9 of: the endpoint server, one model-container worker, one front. For each
fault, from the kill until a request succeeds again after the process is back (plus a second of steady traffic):
requests lost (no answer at all: a reset or a refusal), requests not answered 2xx (503 + Retry-After included)
and seconds to recover. Each is shown against the
no-fault run over a window of the same length. Without a champion in the repository's state, one is trained
first into a temporary folder.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from table import Row, render  # noqa: E402

from slipstream.config import Config, load_config  # noqa: E402
from slipstream.local.serving.child import Child  # noqa: E402
from slipstream.local.serving.httpbase import free_port  # noqa: E402
from slipstream.local.serving.plan import build_plan  # noqa: E402
from slipstream.local.serving.report import example_instance  # noqa: E402
from slipstream.local.serving.supervisor import Servers  # noqa: E402

RECOVERY_LIMIT = 60.0
Answer = tuple[float, bool, bool]  # (when, a 2xx, any HTTP answer at all: False for a reset or a refusal)


@dataclass
class ClosedLoop:
    """`clients` threads, each sending the next request as soon as the last one was answered."""

    url: str
    body: bytes
    clients: int = 2
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> ClosedLoop:
        self._threads = [threading.Thread(target=self._client, daemon=True) for _ in range(self.clients)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def _client(self) -> None:
        while not self._stop.is_set():
            request = urllib.request.Request(self.url, data=self.body, headers={"Content-Type": "application/json"})
            answered = True
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
                    ok = 200 <= response.status < 300
            except urllib.error.HTTPError:  # answered, but not served (503 + Retry-After while the endpoint restarts)
                ok = False
            except (OSError, ValueError):  # a reset, a refusal, a truncated answer: no answer at all
                ok = answered = False
            self.answers.append((time.monotonic(), ok, answered))

    def between(self, start: float, end: float) -> list[Answer]:
        return [a for a in list(self.answers) if start <= a[0] < end]


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def _child(servers: Servers, name: str) -> Child:
    return next(child for child in servers.children if child.name == name)


def _pid(child: Child) -> int:
    assert child.process is not None
    return child.process.pid


def _container_worker(servers: Servers) -> int:
    """A gunicorn worker of the champion's model container: a leaf under the endpoint server."""
    return next(pid for pid in _descendants(_pid(_child(servers, "endpoint"))) if not _descendants(pid))


@dataclass(frozen=True)
class Fault:
    name: str
    victim: Callable[[Servers], int]  # the pid to kill
    back: Callable[[Servers, int], bool]  # (servers, killed pid): the killed process is replaced


def _restarted(name: str) -> Callable[[Servers, int], bool]:
    return lambda servers, killed: _child(servers, name).process is not None and _pid(_child(servers, name)) != killed


def _worker_back(servers: Servers, killed: int) -> bool:
    workers = [p for p in _descendants(_pid(_child(servers, "endpoint"))) if not _descendants(p)]
    return len(workers) >= 2 and killed not in workers


FAULTS = (
    Fault("endpoint server kill -9", lambda s: _pid(_child(s, "endpoint")), _restarted("endpoint")),
    Fault("model container worker kill -9", _container_worker, _worker_back),
    Fault("front kill -9", lambda s: _pid(_child(s, "api-0")), _restarted("api-0")),
)


def _supervise(servers: Servers, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        servers.watch()
        time.sleep(0.05)


def _inflict(servers: Servers, loop: ClosedLoop, fault: Fault) -> tuple[float, list[Answer]]:
    """Kill, supervise until the process is back and a request succeeded after that, then one steady second:
    (seconds to recover, the answers from the kill to the end)."""
    killed, killed_at = fault.victim(servers), time.monotonic()
    os.kill(killed, signal.SIGKILL)
    back_at = None
    while True:
        now = time.monotonic()
        if now - killed_at > RECOVERY_LIMIT:
            raise RuntimeError(f"{fault.name}: no recovery within {RECOVERY_LIMIT:.0f}s")
        servers.watch()
        if back_at is None and fault.back(servers, killed):
            back_at = now
        if back_at is not None and any(a[1] for a in loop.between(back_at, now)):
            recovered = now - killed_at
            break
        time.sleep(0.02)
    _supervise(servers, 1.0)
    return recovered, loop.between(killed_at, time.monotonic())


def _champion_config(workdir: Path) -> Config:
    """The repository's config on a copy of its state (this benchmark's containers never touch a running
    serve's); with no champion there, one trained into `workdir`."""
    from slipstream.local.registry import CHAMPION, Registry

    config = load_config(REPO / "slipstream.toml")
    state = workdir / "state"
    if Registry.exists(config) and Registry(config).by_alias(CHAMPION) is not None:
        shutil.copytree(config.state_path, state, ignore=shutil.ignore_patterns("logs", "containers", "serving", "aws"))
        return config.model_copy(update={"state_dir": str(state)})
    from slipstream.local.runner import run_pipeline

    trained = config.model_copy(update={"state_dir": str(state)})
    run_pipeline(trained)
    return trained


def bench(quick: bool = False) -> list[Row]:
    calm = 3.0 if quick else 10.0
    with tempfile.TemporaryDirectory(prefix="slipstream-reliability-") as workdir:
        config = _champion_config(Path(workdir))
        plan = build_plan(config, host="127.0.0.1", port=free_port(), endpoint_port=free_port())
        body = json.dumps({"instances": [example_instance(config.contract_path)]}).encode()
        rows: list[Row] = []
        loop = ClosedLoop(f"{plan.url}/predict", body)
        with Servers(plan, workers=2, report=lambda _: None) as servers, loop:
            _supervise(servers, 1.0)  # warm: every process has answered once
            start = time.monotonic()
            _supervise(servers, calm)
            steady = loop.between(start, time.monotonic())
            for fault in FAULTS:
                seconds, answers = _inflict(servers, loop, fault)
                rows += _rows(fault.name, seconds, answers, steady, calm)
    return rows


def _longest_gap(answers: list[Answer]) -> float:
    """The longest wait between two successes: how long a no-fault run goes without one, at worst."""
    times = [when for when, ok, _ in answers if ok]
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


def _rows(name: str, seconds: float, answers: list[Answer], steady: list[Answer], calm: float) -> list[Row]:
    window = answers[-1][0] - answers[0][0] if answers else seconds
    scale = window / calm  # the no-fault run's counts over as long a window

    def count(answers: list[Answer], lost: Callable[[Answer], bool]) -> float:
        return float(sum(lost(a) for a in answers))

    no_answer, not_2xx = (lambda a: not a[2]), (lambda a: not a[1])
    return [
        Row(f"{name}: requests lost (no answer: reset or refused)", count(answers, no_answer),
            count(steady, no_answer) * scale, f"no-fault run, same {window:.1f}s window", "req"),
        Row(f"{name}: requests not 2xx (503 + Retry-After included)", count(answers, not_2xx),
            count(steady, not_2xx) * scale, f"no-fault run, same {window:.1f}s window", "req"),
        Row(f"{name}: time to recover", seconds, _longest_gap(steady), "no-fault longest gap between 2xx", "s"),
        Row(f"{name}: requests answered 2xx", 100 * sum(a[1] for a in answers) / max(1, len(answers)),
            100 * sum(a[1] for a in steady) / max(1, len(steady)), "no-fault run", "%", higher_is_better=True),
    ]  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(render(bench(quick=parser.parse_args().quick)))
