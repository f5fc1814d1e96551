"""`slipstream monitor` on traffic sent to `slipstream serve` (a real subprocess on a free 127.0.0.1 port):
one feature shifted by two standard deviations is reported as drifted, the report is written, exit 6; and
`slipstream query`'s saved queries over the same capture answer what monitor reports.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from slipstream.cli.main import app
from slipstream.config import Config, load_config
from slipstream.dataset import load_dataset
from slipstream.local.serving.httpbase import free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serve")]  # shares the trained champion
REPO = Path(__file__).resolve().parents[2]
SHIFTED = "mean texture"
ROWS, BATCH = 300, 50


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST as a client would: a 503 (the local endpoint still starting when the API already answers /health)
    is retried, for at most 30 s."""
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code != 503 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="module")
def project(trained_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project of its own (state copied from the trained one), so its capture holds only this traffic."""
    base = tmp_path_factory.mktemp("monitor-project")
    shutil.copytree(trained_config.state_path, base / "state", ignore=shutil.ignore_patterns("serving"))
    text = (REPO / "slipstream.toml").read_text(encoding="utf-8")
    (base / "slipstream.toml").write_text(f'state_dir = "{base / "state"}"\n{text}', encoding="utf-8")
    return base / "slipstream.toml"


@pytest.fixture(scope="module")
def serve(project: Path) -> Iterator[str]:
    port = free_port()
    command = [str(Path(sys.executable).parent / "slipstream"), "serve", "--config", str(project)]
    process = subprocess.Popen([*command, "--port", str(port), "--workers", "1"], stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        yield url
    finally:
        process.send_signal(signal.SIGTERM)  # serve stops its children on SIGTERM, like Ctrl-C
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def sent(project: Path, serve: str) -> dict[str, Any]:
    """ROWS rows in requests of BATCH, one feature shifted; ground truth for the first request's rows."""
    config = load_config(project)
    target = config.data.target
    frame = load_dataset(config)
    rows = frame.sample(ROWS, replace=True, random_state=7).reset_index(drop=True)
    rows[SHIFTED] += 2 * frame[SHIFTED].std()
    labels = rows.pop(target).astype(str)
    first = None
    for start in range(0, ROWS, BATCH):
        answer = _post(f"{serve}/predict", {"instances": rows.iloc[start : start + BATCH].to_dict("records")})
        first = first or answer
    for row in range(BATCH):  # the true labels of the first request: quality of the champion on live data
        _post(f"{serve}/feedback", {"request_id": first["request_id"], "row": row, "ground_truth": labels[row]})
    capture = config.state_path / "serving" / "capture" / "predictions.jsonl"
    deadline = time.monotonic() + 30  # capture is written by a background thread
    while time.monotonic() < deadline and (not capture.exists() or len(capture.read_text().splitlines()) < ROWS):
        time.sleep(0.05)
    assert first is not None
    return first


def test_monitor_reports_the_shifted_feature_as_drift_and_writes_the_report(project: Path, sent: dict) -> None:
    first = sent
    report = project.parent / "out" / "report.html"
    result = CliRunner().invoke(app, ["monitor", "--config", str(project), "--report", str(report)])

    assert result.exit_code == 6, result.output
    assert f"drift in version {first['model_version']}: {SHIFTED}\n" in result.output
    assert f"{ROWS} captured rows" in result.output
    assert re.search(rf"champion .* {ROWS} .* {BATCH} .* accuracy [01]\.\d{{3}}", result.output), result.output
    html = report.read_text(encoding="utf-8")
    assert "<script src" not in html and "plotly.js v" in html  # plotly.js inline: opens offline
    assert f"version {first['model_version']}: {SHIFTED}" in html and "Quality per variant" in html


def test_monitor_without_capture_says_how_to_get_some(tmp_path: Path) -> None:
    text = (REPO / "slipstream.toml").read_text(encoding="utf-8")
    (tmp_path / "slipstream.toml").write_text(f'state_dir = "{tmp_path / "state"}"\n{text}', encoding="utf-8")
    result = CliRunner().invoke(app, ["monitor", "--config", str(tmp_path / "slipstream.toml")])
    assert result.exit_code == 0 and "No captured traffic yet" in result.output
    assert "slipstream serve" in result.output and not (tmp_path / "state").exists()


def _query(project: Path, name: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["query", name, "--json", "--config", str(project)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_saved_queries_answer_what_monitor_reports(project: Path, sent: dict) -> None:
    """The same capture through two readers: DuckDB over the files (the saved queries, as Athena runs them on
    AWS) and Traffic (what `slipstream monitor` prints): rows per version, quality per variant, feature rows."""
    from slipstream.local.monitoring.sources import load_traffic, local_figures

    config = load_config(project)
    figures = local_figures(config, load_traffic(config))
    monitor = CliRunner().invoke(app, ["monitor", "--config", str(project), "--report", str(project.parent / "r.html")])

    traffic = _query(project, "traffic_by_version")
    assert [(t["model_version"], t["row_count"]) for t in traffic] == [(v.version, v.rows) for v in figures.versions]
    assert traffic[0]["request_count"] == ROWS // BATCH and f"{traffic[0]['row_count']} rows" in monitor.output
    (quality,) = _query(project, "quality_by_variant")
    (expected,) = figures.quality
    assert (quality["variant"], quality["predicted"], quality["labelled"]) == (
        expected.variant, expected.predicted, expected.labelled,
    )  # fmt: skip
    assert quality["accuracy"] == pytest.approx(expected.metrics["accuracy"])
    assert f"accuracy {quality['accuracy']:.3f}" in monitor.output
    (day,) = _query(project, "quality_over_time")
    assert (day["labelled"], day["accuracy"]) == (BATCH, pytest.approx(quality["accuracy"]))
    summary = {s["feature"]: s for s in _query(project, "feature_summary")}
    drift = {d.name: d for d in figures.versions[0].features}
    assert set(summary) == set(drift) and all(summary[n]["row_count"] == drift[n].n for n in drift)
    assert summary[SHIFTED]["mean"] == pytest.approx(load_traffic(config).features[SHIFTED].mean())
    (latency,) = _query(project, "latency")
    assert latency["request_count"] == ROWS // BATCH and 0 < latency["p50_ms"] <= latency["max_ms"]
    assert _query(project, "rows_without_feedback").__len__() == ROWS - BATCH
