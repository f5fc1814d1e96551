"""The local capture and feedback files: created 0600, rotated by size and by UTC day, rotated files expired
after the capture retention, and every reader (`slipstream monitor`, `slipstream query`) reads rotated files too."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

from lambdas.predict.service import capture_rows
from lambdas.predict.sinks import JsonLinesSink
from slipstream.config import load_config
from slipstream.local.monitoring.sources import load_feedback, load_traffic
from slipstream.local.warehouse import open_warehouse
from slipstream.warehouse.schema import capture_columns
from tests.unit.serving.conftest import CONTRACT
from tests.unit.warehouse.test_local_warehouse import project  # noqa: F401 - the project fixture

DAY = 86_400


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_private_and_rotate_by_size_without_losing_a_line(tmp_path: Path) -> None:
    sink = JsonLinesSink(str(tmp_path / "capture" / "predictions.jsonl"), max_bytes=2_000)
    for n in range(100):
        sink.put([{"request_id": f"r{n}", "pad": "x" * 50}])
    files = [*sink.rotated(), sink.path]
    assert len(files) >= 4 and all(f.stat().st_size <= 2_000 for f in files)
    assert all(_mode(f) == 0o600 for f in files) and _mode(sink.path.parent) == 0o700
    lines = [json.loads(line)["request_id"] for f in files for line in f.read_text().splitlines()]
    assert lines == [f"r{n}" for n in range(100)]  # rotated names sort oldest first


def test_a_new_utc_day_starts_a_new_file(tmp_path: Path) -> None:
    sink = JsonLinesSink(str(tmp_path / "feedback.jsonl"))
    sink.put([{"a": 1}])
    yesterday = time.time() - DAY
    os.utime(sink.path, (yesterday, yesterday))
    sink.put([{"a": 2}])
    assert len(sink.rotated()) == 1 and sink.path.read_text() == '{"a": 2}\n'


def test_rotated_files_older_than_the_retention_are_deleted(tmp_path: Path) -> None:
    old, recent = tmp_path / "predictions.20260101T000000000000Z.jsonl", tmp_path / "predictions.x.jsonl"
    for path, age in ((old, 91), (recent, 89)):
        path.write_text("{}\n")
        os.utime(path, (time.time() - age * DAY,) * 2)
    JsonLinesSink(str(tmp_path / "predictions.jsonl"), retention_days=90)
    assert not old.exists() and recent.exists()


def test_a_file_written_before_files_were_private_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    path.write_text("{}\n")
    path.chmod(0o644)
    JsonLinesSink(str(path))
    assert _mode(path) == 0o600


def test_monitor_and_query_read_the_rotated_files_too(project: Path) -> None:  # noqa: F811
    state = project.parent / "state" / "serving"
    captures = JsonLinesSink(str(state / "capture" / "predictions.jsonl"), max_bytes=1_000)
    feedback = JsonLinesSink(str(state / "feedback.jsonl"), max_bytes=1_000)
    columns = capture_columns([f["name"] for f in CONTRACT["features"]])
    for n in range(20):
        body = {"request_id": f"r{n}", "variant": "champion", "model_version": "1", "predictions": ["yes"]}
        captures.put(capture_rows(body, "e", 1.0, [{"monthly spend": 1.0, "tenure": 1, "plan": "pro"}], columns))
        feedback.put([{"request_id": f"r{n}", "row": 0, "ground_truth": "yes", "received_at": "x"}])
    assert captures.rotated() and feedback.rotated()
    config = load_config(project)
    assert len(load_traffic(config).meta) == 20 and len(load_feedback(config)) == 20
    warehouse = open_warehouse(config)
    assert warehouse.captured == 20
    assert warehouse.run("SELECT COUNT(*) FROM feedback").rows == [(20,)]
