"""Start the local endpoint server (which starts the model containers) and the local API, wait until both
answer, stop both.

Children get SIGINT (what Ctrl-C sends) and a few seconds to close; then they are killed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from slipstream.errors import SlipstreamError
from slipstream.local.serving.plan import ServePlan, process_env

READY_TIMEOUT = 90.0


@dataclass
class Servers:
    plan: ServePlan
    workers: int = 2
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def log_dir(self) -> Path:
        return self.plan.folder / "logs"

    def start(self) -> None:
        plan, reuse = self.plan, ["--reuse-port"] if self.workers > 1 else []
        self.log_dir.mkdir(parents=True, exist_ok=True)
        common = ["--host", plan.host]
        endpoint = ["-m", "slipstream.local.serving.endpoint_server", *common, "--port", str(plan.endpoint_port)]
        api = ["-m", "slipstream.local.serving.front_server", *common, "--port", str(plan.port)]
        # Endpoints first: an API that answers before its model loads would greet the first caller with a 503.
        # One SageMaker Runtime process (it counts each endpoint's concurrent invocations, as SageMaker does);
        # the work is in its model containers, `workers` gunicorn workers each.
        self._spawn([*endpoint, "--spec", str(plan.endpoint_spec), "--workers", str(self.workers)], "endpoint", {})
        self._wait_until(f"http://{plan.host}:{plan.endpoint_port}/ping", "the local endpoint")
        for index in range(self.workers):
            self._spawn([*api, *reuse], f"api-{index}", plan.api_env)
        self._wait_until(f"{plan.url}/health", "the local API")

    def _spawn(self, args: list[str], name: str, env: dict[str, str]) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        self._logs.append(log)
        process = subprocess.Popen([sys.executable, *args], env=process_env(env), stdout=log, stderr=log)
        self.processes.append(process)

    def _wait_until(self, url: str, what: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise SlipstreamError(f"{what} did not answer {url} within {READY_TIMEOUT:.0f}s; see {self.log_dir}")

    def _check_alive(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise SlipstreamError(
                    f"a serving process exited with code {process.returncode}", details=[f"logs: {self.log_dir}"]
                )

    def wait(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Block until a child dies (an error) or `should_stop` says so; Ctrl-C raises KeyboardInterrupt."""
        while not should_stop():
            self._check_alive()
            time.sleep(0.2)

    def stop(self, grace: float = 5.0) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + grace
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self._logs:
            log.close()
        self.processes.clear()
        self._logs.clear()

    def __enter__(self) -> Servers:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
