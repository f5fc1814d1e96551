"""Runs that overlap, are killed or interrupted inside Register: what the registry and the run folder hold after.

Each run is a real `slipstream` process; a fault point (slipstream/local/fault_points.py) holds it at a known
place inside Register so the signal lands there, not wherever a timer happens to fall.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from slipstream.local.run_lock import LOCK_FILE
from tests.integration.pipeline_helpers import customers, project_config, status, write_project

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("run-faults"), pytest.mark.usefixtures("warm_zygotes")]
SLIPSTREAM = str(Path(sys.executable).with_name("slipstream"))
CHURN = project_config("churned", "classification", ["segment", "lifetime_value"])
# What a fault leaves does not depend on the data: 160 rows (as test_run_kill_each_step) still pass the gate,
# and each run's evaluation and export cost less than at the default 400.
ROWS = 160


def _start(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [SLIPSTREAM, "run", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        preexec_fn=_ctrl_c_reaches_it,
    )


def _ctrl_c_reaches_it() -> None:
    # A shell without job control starts background jobs with SIGINT ignored, and Python then never raises
    # KeyboardInterrupt: the run must see SIGINT as a terminal's Ctrl-C delivers it, however pytest was started.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _finish(process: subprocess.Popen[str], timeout: float = 240) -> tuple[int, str]:
    output, _ = process.communicate(timeout=timeout)
    assert "Traceback" not in output, output
    return process.returncode, output


def _held_at(config: Path, point: str, tmp_path: Path) -> subprocess.Popen[str]:
    ready = tmp_path / f"{point}.ready"
    process = _start(config, env={"SLIPSTREAM_FAULT_POINT": point, "SLIPSTREAM_FAULT_READY": str(ready)})
    deadline = time.monotonic() + 240
    while not ready.is_file():
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the run never reached the fault point"
        time.sleep(0.2)
    return process


def _mlflow_runs(config: Path) -> list[dict[str, str]]:
    from mlflow import MlflowClient

    from slipstream.config import load_config

    cfg = load_config(config)
    client = MlflowClient(tracking_uri=cfg.tracking_uri)
    experiment = client.get_experiment_by_name(cfg.experiment_name)
    runs = client.search_runs([experiment.experiment_id])
    return [{"status": r.info.status, "registration": r.data.tags.get("slipstream.registration", "")} for r in runs]


def _version_tags(config: Path, version: str) -> dict[str, str]:
    from slipstream.config import load_config
    from slipstream.local.registry import Registry

    info = Registry(load_config(config)).by_version(version)
    assert info is not None
    return {**info.tags, "registration": info.registration, "aliases": ",".join(info.aliases)}


def _wait_for_holder(lock: Path, pid: int, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if json.loads(lock.read_text()).get("pid") == pid:
                return
        except (OSError, ValueError):
            pass  # not created, or mid-write
        time.sleep(0.1)
    raise AssertionError(f"run {pid} never took {lock}")


def test_two_runs_on_a_fresh_state_directory(tmp_path: Path) -> None:
    config = write_project(tmp_path, CHURN, customers(rows=ROWS))
    first = _start(config)
    _wait_for_holder(tmp_path / ".slipstream" / LOCK_FILE, first.pid)  # a loaded machine may take seconds
    refused = _start(config)
    queued = _start(config, "--wait")
    code, output = _finish(refused, timeout=60)
    assert code == 9, output
    assert f"pid {first.pid}" in output and "--wait" in output
    assert _finish(first)[0] == 0
    code, output = _finish(queued)
    assert code in (0, 5), output  # passed or rejected against the first's champion: gated, not crashed
    assert "migration" not in output.lower()
    summaries = sorted((tmp_path / ".slipstream" / "runs").glob("*/summary.json"))
    assert len(summaries) == 2
    second = json.loads(summaries[1].read_text())
    assert second["version"] == "2" and second["champion_version"] == "1"  # it saw the first's champion


def test_kill_9_inside_register_is_marked_by_the_next_run(tmp_path: Path) -> None:
    config = write_project(tmp_path, CHURN, customers(rows=ROWS))
    process = _held_at(config, "version-created", tmp_path)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    # The half-registered version 1 is not shown, and holds no alias.
    assert status(config) == {"champion": None, "challenger": None, "latest": None}
    assert [r["status"] for r in _mlflow_runs(config)] == ["RUNNING"]

    code, output = _finish(_start(config))
    assert code == 0, output
    assert "repaired:" in output and "version 1" in output
    assert status(config)["champion"]["version"] == "2"
    killed = _version_tags(config, "1")
    assert killed["staging"] == "none" and "interrupted" in killed["staging.reason"]
    assert killed["registration"] == "incomplete" and killed["aliases"] == ""
    assert sorted(r["status"] for r in _mlflow_runs(config)) == ["FAILED", "FINISHED"]


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ("run-started", "nothing was registered"),
        ("version-tagged", "version 1 was created but not completed"),
    ],
)
def test_ctrl_c_inside_register_says_what_was_registered(tmp_path: Path, point: str, expected: str) -> None:
    config = write_project(tmp_path, CHURN, customers(rows=ROWS))
    process = _held_at(config, point, tmp_path)
    process.send_signal(signal.SIGINT)
    code, output = _finish(process, timeout=60)
    assert code == 130 and expected in " ".join(output.split()), output
    assert status(config) == {"champion": None, "challenger": None, "latest": None}
    assert "RUNNING" not in {r["status"] for r in _mlflow_runs(config)}  # FINISHED when tagging had begun
    assert {r["registration"] for r in _mlflow_runs(config)} == {"incomplete"}
    (failed,) = (tmp_path / ".slipstream" / "runs").glob("*.failed")
    assert json.loads((failed / "FAILED.json").read_text())["step"] == "Register"
