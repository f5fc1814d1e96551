"""Start the local endpoint server (which starts the model containers) and the local API, keep them running,
stop them.

A child that dies is restarted with backoff (child.py) and reported through `report`; meanwhile the fronts
answer 503 + Retry-After for a dead endpoint server (the predict handler's EndpointUnavailable), and the other
front workers on the shared port answer for a dead front. A child that keeps crashing stops serve with a
message naming it. Children get SIGTERM and a few seconds to close; then their process group is killed.
"""

from __future__ import annotations

import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from slipstream.errors import SlipstreamError
from slipstream.local.serving.child import Child, describe_exit
from slipstream.local.serving.endpoint_server import PUBLISHED
from slipstream.local.serving.httpbase import LOOPBACK
from slipstream.local.serving.plan import ServePlan

READY_TIMEOUT = 90.0
POLL_SECONDS = 0.1


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Servers:
    plan: ServePlan
    workers: int = 2
    report: Callable[[str], None] = _to_stderr
    children: list[Child] = field(default_factory=list)

    @property
    def log_dir(self) -> Path:
        return self.plan.folder / "logs"

    def start(self) -> None:
        plan, reuse = self.plan, ["--reuse-port"] if self.workers > 1 else []
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # The endpoint server is internal (no auth, no row limit): loopback only, whatever the API binds.
        deadline = ["--request-timeout", str(plan.config.serving.request_timeout_seconds)]
        endpoint = ["-m", "slipstream.local.serving.endpoint_server", "--port", str(plan.endpoint_port), *deadline]
        api = ["-m", "slipstream.local.serving.front_server", "--host", plan.host, "--port", str(plan.port), *deadline]
        # The handler's InvokeEndpoint reaches the containers the endpoint server publishes without a hop through
        # it (routed_runtime.py): one process and one HTTP round trip fewer per request.
        api += ["--routed-runtime", str(plan.endpoint_spec.parent / PUBLISHED)]
        # Endpoints first: an API that answers before its model loads would greet the first caller with a 503.
        # One SageMaker Runtime process (it counts each endpoint's concurrent invocations, as SageMaker does);
        # the work is in its model containers, `workers` gunicorn workers each.
        self._spawn([*endpoint, "--spec", str(plan.endpoint_spec), "--workers", str(self.workers)], "endpoint", {})
        self._wait_until(f"http://{LOOPBACK}:{plan.endpoint_port}/ping", "the local endpoint")
        for index in range(self.workers):
            self._spawn([*api, *reuse], f"api-{index}", plan.api_env)
        self._wait_until(f"{plan.url}/health", "the local API")

    def _spawn(self, args: list[str], name: str, env: dict[str, str]) -> None:
        child = Child(name, args, env, self.log_dir / f"{name}.log")
        child.spawn()
        self.children.append(child)

    def _wait_until(self, url: str, what: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            self._check_started()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise SlipstreamError(f"{what} did not answer {url} within {READY_TIMEOUT:.0f}s; see {self.log_dir}")

    def _check_started(self) -> None:
        """While starting, a death is not restarted: the same model or port would fail the same way."""
        for child in self.children:
            if child.died():
                assert child.process is not None
                raise SlipstreamError(
                    f"{child.name} {describe_exit(child.process.returncode)} while starting",
                    details=[f"log: {child.log_path}", *child.log_tail()],
                )

    def watch(self) -> None:
        """One round: restart what is due, schedule a restart for what just died (raises when it keeps dying)."""
        now = time.monotonic()
        for child in self.children:
            if child.due(now):
                child.spawn()
                self.report(f"{child.name} restarted")
            elif child.died():
                self.report(child.schedule_restart(now))

    def wait(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Keep the children running until `should_stop` says so; Ctrl-C raises KeyboardInterrupt, and a child
        that crashes too often raises SlipstreamError."""
        while not should_stop():
            self.watch()
            time.sleep(POLL_SECONDS)

    def stop(self, grace: float = 5.0) -> None:
        for child in self.children:
            child.stop_signal()
        deadline = time.monotonic() + grace
        for child in self.children:
            child.wait_stopped(deadline)
        self.children.clear()

    def __enter__(self) -> Servers:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
