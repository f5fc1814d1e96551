"""Helpers for the serving fault tests: a second `slipstream serve` on a copy of the state, light load, /proc."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slipstream.config import Config
from slipstream.local.serving.httpbase import free_port
from slipstream.local.serving.plan import ServePlan, build_plan


def copied_plan(config: Config, target: Path) -> ServePlan:
    """A plan on a copy of the trained state: its endpoint server lays out its own containers folder, so it
    never touches the session's `served` one."""
    state = target / "state"
    shutil.copytree(config.state_path, state, ignore=shutil.ignore_patterns("logs", "containers"))
    copy = config.model_copy(update={"state_dir": str(state)})
    return build_plan(copy, host="127.0.0.1", port=free_port(), endpoint_port=free_port())


def post(url: str, body: dict[str, Any], timeout: float = 10) -> tuple[int, dict[str, str], dict[str, Any]]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@dataclass
class Load:
    """Sequential requests on `threads` threads (a new connection each, as most clients make): what each got."""

    url: str
    body: dict[str, Any]
    threads: int = 2
    answers: list[tuple[float, int | str, dict[str, str], Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Load:
        for _ in range(self.threads):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(timeout=15)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status, headers, payload = post(self.url, self.body, timeout=5)
                self.answers.append((time.monotonic(), status, headers, payload))
            except (OSError, ValueError) as error:  # reset, refused, truncated: a lost request
                self.answers.append((time.monotonic(), type(error).__name__, {}, None))
            time.sleep(0.01)

    def since(self, moment: float) -> list[tuple[float, int | str, dict[str, str], Any]]:
        return [answer for answer in list(self.answers) if answer[0] >= moment]


def wait_for(predicate: Any, timeout: float, what: str) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what} within {timeout}s")
        time.sleep(0.05)
    return time.monotonic() - start


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def descendants(pid: int, parents: dict[int, int] | None = None) -> list[int]:
    parents = parents or _parents()
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def model_servers(pid: int) -> dict[int, list[int]]:
    """The gunicorn arbiters below `pid` -> their workers: the processes whose children all have none, at
    whatever depth they sit (not merely the first descendant that has children)."""
    parents = _parents()
    children = {p: [c for c, parent in parents.items() if parent == p] for p in descendants(pid, parents)}
    return {p: kids for p, kids in children.items() if kids and all(not children.get(k) for k in kids)}


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def listening_addresses(port: int) -> set[str]:
    """The local addresses something listens on at `port` (IPv4), from /proc/net/tcp."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found
