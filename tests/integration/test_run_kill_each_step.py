"""kill -9 and Ctrl-C at the start of every step of a local run, and after Register: what the registry, MLflow
and the run folder hold afterwards, and what the CLI said.

Each case is a real `slipstream run` on a tiny dataset, held at a fault point (slipstream/local/fault_points.py);
the two signals' runs of one point go side by side. What a killed run left is then repaired as the next run's
start does (runner.repair_state), without training again.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from slipstream.local.runner import PIPELINE_STEPS
from tests.integration.pipeline_helpers import customers, status, write_project
from tests.integration.test_run_faults import CHURN, _finish, _start

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("run-faults")]
POINTS = [f"step:{step}" for step in PIPELINE_STEPS] + ["run-registered"]
NOTHING = {"champion": None, "challenger": None, "latest": None}


def _mlflow_statuses(config: Path) -> list[str]:
    from mlflow import MlflowClient

    from slipstream.config import load_config

    cfg = load_config(config)
    client = MlflowClient(tracking_uri=cfg.tracking_uri)
    experiment = client.get_experiment_by_name(cfg.experiment_name)
    if experiment is None:  # Evaluate opened the registry, nothing logged to it yet
        return []
    return [run.info.status for run in client.search_runs([experiment.experiment_id])]


def _registry_holds(config: Path, point: str) -> None:
    """After Register: its complete version is the champion. Before: no version, no alias, nothing RUNNING."""
    if point == "run-registered":
        assert status(config)["champion"]["version"] == "1"
        assert _mlflow_statuses(config) == ["FINISHED"]
    elif (config.parent / ".slipstream" / "mlflow.db").exists():
        assert status(config) == NOTHING
        assert "RUNNING" not in _mlflow_statuses(config)


def _failed_step(folder: Path) -> str:
    runs = folder / ".slipstream" / "runs"
    (failed,) = runs.glob("*.failed")
    assert [p.name for p in runs.iterdir()] == [failed.name], "an unmarked run folder is left"
    return str(json.loads((failed / "FAILED.json").read_text())["step"])


def _step_of(point: str) -> str:
    return point.removeprefix("step:") if point.startswith("step:") else "Register"


def _check_interrupted(folder: Path, point: str, code: int, output: str) -> None:
    told = " ".join(output.split())
    assert code == 130, output
    assert _failed_step(folder) == _step_of(point)
    if point == "run-registered":
        assert "version 1 was registered completely (staging: champion)" in told, output
    else:
        assert "nothing was registered; the champion is unchanged." in told, output
    _registry_holds(folder / "slipstream.toml", point)


def _check_killed(folder: Path, point: str) -> None:
    from slipstream.config import load_config
    from slipstream.local.run_lock import state_lock
    from slipstream.local.runner import repair_state

    config = folder / "slipstream.toml"
    _registry_holds(config, point)  # before any repair: a reader sees no half-done version
    cfg = load_config(config)
    with state_lock(cfg.state_path):
        notes = repair_state(cfg)
    assert any("marked failed" in note for note in notes), notes
    assert _failed_step(folder) == _step_of(point)
    _registry_holds(config, point)  # the repair changes neither a completed version nor an empty registry


def _all_held(configs: dict[str, Path], point: str, ready_dir: Path) -> dict[str, subprocess.Popen[str]]:
    """Start one run per config, all at once, and return when every one waits at `point`."""
    ready = {name: ready_dir / f"{name}.ready" for name in configs}
    held = {
        name: _start(config, env={"SLIPSTREAM_FAULT_POINT": point, "SLIPSTREAM_FAULT_READY": str(ready[name])})
        for name, config in configs.items()
    }
    deadline = time.monotonic() + 240
    while not all(path.is_file() for path in ready.values()):
        for process in held.values():
            assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the runs never reached the fault point"
        time.sleep(0.2)
    return held


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_and_ctrl_c_at_each_step(tmp_path: Path, point: str) -> None:
    folders = {name: tmp_path / name for name in ("interrupted", "killed")}
    configs = {name: write_project(folder, CHURN, customers(rows=160)) for name, folder in folders.items()}
    held = _all_held(configs, point, tmp_path)
    held["interrupted"].send_signal(signal.SIGINT)
    held["killed"].send_signal(signal.SIGKILL)
    held["killed"].communicate(timeout=30)
    _check_interrupted(folders["interrupted"], point, *_finish(held["interrupted"], timeout=60))
    _check_killed(folders["killed"], point)
