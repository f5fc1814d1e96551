"""`slipstream serve` killed by SIGKILL cleans up nothing itself: its children (the endpoint server, the fronts)
and their model containers must still go, by the kernel's parent-death signal (slipstream/local/parent_death.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from slipstream.config import Config
from slipstream.local.serving.httpbase import free_port
from tests.integration.conftest import REPO
from tests.integration.serve_faults import descendants, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG")]
SLIPSTREAM = str(Path(sys.executable).with_name("slipstream"))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_sigkill_of_serve_takes_its_children_and_containers_along(trained_config: Config, tmp_path: Path) -> None:
    state = tmp_path / "state"
    shutil.copytree(trained_config.state_path, state, ignore=shutil.ignore_patterns("logs", "containers", "serving"))
    config = tmp_path / "slipstream.toml"
    config.write_text(f"state_dir = {str(state)!r}\n" + (REPO / "slipstream.toml").read_text(), encoding="utf-8")
    port = free_port()
    serve = subprocess.Popen(
        [SLIPSTREAM, "serve", "--config", str(config), "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[int] = []
    try:
        wait_for(lambda: _healthy(f"http://127.0.0.1:{port}/health"), 120, "serve never answered /health")
        children = descendants(serve.pid)
        assert len(children) >= 3, children  # endpoint server, its model container, a front
        serve.send_signal(signal.SIGKILL)
        serve.wait(timeout=10)
        started = time.monotonic()
        wait_for(lambda: not any(_alive(pid) for pid in children), 10, f"children {children} outlived serve")
        print(f"{len(children)} descendants gone {time.monotonic() - started:.2f}s after serve's SIGKILL")
    finally:
        if serve.poll() is None:
            serve.kill()
        for pid in filter(_alive, children):  # what the test found alive must not outlive it
            os.kill(pid, signal.SIGKILL)
