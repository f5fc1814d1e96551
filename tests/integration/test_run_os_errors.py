"""A full disk or another OS error: a message naming the file and the cause, exit 1, the run folder marked failed.
And a huge value in the data is quoted only as an excerpt, in the terminal and in FAILED.json."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from slipstream.local.run_state import RunState
from tests.integration.pipeline_helpers import cli, customers, project_config, write_project

CHURN = project_config("churned", "classification", ["segment", "lifetime_value"])


def _failed_runs(state: Path) -> list[dict]:
    return [json.loads((folder / "FAILED.json").read_text()) for folder in (state / "runs").glob("*.failed")]


def test_enospc_at_a_write_names_the_file_and_marks_the_run_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_project(tmp_path, CHURN, customers())
    real = RunState.write_json

    def full_disk(self: RunState, relative: str, payload: object) -> Path:
        if relative.endswith("validation.json"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.run_dir / relative))
        return real(self, relative, payload)

    monkeypatch.setattr(RunState, "write_json", full_disk)
    code, output = cli("run", "--config", str(config))
    flat = " ".join(output.split())
    assert code == 1 and "No space left on device" in flat and "validation.json" in flat, output
    assert "unexpected error" not in flat and "please report" not in flat
    (failed,) = _failed_runs(tmp_path / ".slipstream")
    assert failed["step"] == "ValidateData" and "No space left on device" in failed["error"]
    assert not list((tmp_path / ".slipstream" / "runs").glob("*/.failure-reserve"))


@contextlib.contextmanager
def _tiny_tmpfs(where: Path) -> Iterator[Path]:
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a 1 MB tmpfs needs root; the ENOSPC test above covers the message without it")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.slow
def test_a_state_directory_on_a_full_disk(tmp_path: Path) -> None:
    with _tiny_tmpfs(tmp_path / "small") as small:
        extra = f'state_dir = "{small / "state"}"\n'
        config = write_project(tmp_path, extra + CHURN, customers(4000))
        code, output = cli("run", "--config", str(config))
        flat = " ".join(output.split())
        assert code == 1 and ("No space left on device" in flat or "disk is full" in flat), output
        assert "unexpected error" not in flat and "Traceback" not in flat
        (failed,) = _failed_runs(small / "state")
        assert "No space left on device" in failed["error"] or "disk is full" in failed["error"]
        assert str(small / "state") in failed["error"]  # the file that could not be written


def test_a_10_mb_unseen_label_is_quoted_as_an_excerpt(tmp_path: Path) -> None:
    from slipstream.config import load_config
    from slipstream.contract import build_contract, write_contract

    frame = customers()
    config = write_project(tmp_path, CHURN, frame)
    cfg = load_config(config)
    write_contract(build_contract(frame.drop(columns=["segment", "lifetime_value"]), cfg), cfg.contract_path)
    frame.loc[0, "churned"] = "x" * 10_000_000
    frame.to_csv(tmp_path / "data.csv", index=False)
    code, output = cli("run", "--config", str(config))
    assert code == 3 and "unseen label" in " ".join(output.split()), output[:2000]
    assert len(output) < 5_000
    (failed,) = _failed_runs(tmp_path / ".slipstream")
    assert len(json.dumps(failed)) < 5_000 and "more characters" in json.dumps(failed)
