"""kill -9 and Ctrl-C at the start of every step of a local run, and after Register: what the registry, MLflow
and the run folder hold afterwards, and what the CLI said.

Each case is a real `slipstream run` on a tiny dataset, held at a fault point (slipstream/local/fault_points.py);
all twelve run side by side. What a killed run left is then repaired as the next run's start does
(runner.repair_state), without training again.
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
from tests.integration.test_run_faults import CHURN, ROWS, _finish, _start

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("run-faults"), pytest.mark.usefixtures("warm_zygotes")]
POINTS = [f"step:{step}" for step in PIPELINE_STEPS] + ["run-registered"]
NOTHING = {"champion": None, "challenger": None, "latest": None}
SIGNALS = {"interrupted": signal.SIGINT, "killed": signal.SIGKILL}


def _mlflow_statuses(config: Path) -> list[str]:
    from mlflow import MlflowClient

    from slipstream.config import load_config

    cfg = load_config(config)
    client = MlflowClient(tracking_uri=cfg.tracking_uri)
    experiment = client.get_experiment_by_name(cfg.experiment_name)
    if experiment is None:  # the registry was opened (a champion looked for), nothing logged to it yet
        return []
    return [run.info.status for run in client.search_runs([experiment.experiment_id])]


def _registry_holds(config: Path, point: str) -> None:
    """After Register: its complete version is the champion. Before: no version, no alias, nothing RUNNING."""
    if point == "run-registered":
        assert status(config)["champion"]["version"] == "1"
        assert _mlflow_statuses(config) == ["FINISHED"]
    else:
        assert status(config) == NOTHING
        if (config.parent / ".slipstream" / "mlflow.db").exists():  # Register is what first opens it
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


@pytest.fixture(scope="module")
def signalled(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[Path, int, str]]:
    """Every (point, signal) case at once, each signalled as soon as it waits at its point (the cases share
    nothing; side by side the set takes about as long as its longest run): case -> (folder, exit code, output)."""
    base = tmp_path_factory.mktemp("kill-each-step")
    cases = {(point, name): base / f"{point.replace(':', '-')}-{name}" for point in POINTS for name in SIGNALS}
    running = {}
    for (point, name), folder in cases.items():
        config = write_project(folder, CHURN, customers(rows=ROWS))
        ready = folder / "held.ready"
        env = {"SLIPSTREAM_FAULT_POINT": point, "SLIPSTREAM_FAULT_READY": str(ready)}
        running[(point, name)] = (_start(config, env=env), ready)
    results, deadline = {}, time.monotonic() + 600
    while running:
        assert time.monotonic() < deadline, f"never reached their fault points: {sorted(running)}"
        for case, (process, ready) in list(running.items()):
            assert process.poll() is None, process.communicate()[0]
            if ready.is_file():
                process.send_signal(SIGNALS[case[1]])
                code, output = _finish(process, timeout=120) if case[1] == "interrupted" else _killed(process)
                results[case] = (cases[case], code, output)
                del running[case]
        time.sleep(0.2)
    return results


def _killed(process: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = process.communicate(timeout=30)
    return process.returncode, output


@pytest.mark.parametrize("point", POINTS)
def test_ctrl_c_at_each_step(signalled: dict, point: str) -> None:
    folder, code, output = signalled[(point, "interrupted")]
    _check_interrupted(folder, point, code, output)


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_at_each_step(signalled: dict, point: str) -> None:
    folder, code, _ = signalled[(point, "killed")]
    assert code == -signal.SIGKILL
    _check_killed(folder, point)
