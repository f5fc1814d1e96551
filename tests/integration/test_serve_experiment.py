"""The local experiment end to end: a weak champion and a better challenger behind `slipstream serve`,
traffic and feedback over HTTP, `slipstream experiment status` reaching a decision, a report, and `promote`
moving the champion while the server keeps answering (shadow mode mirrors a share of the champion's calls)."""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from slipstream.config import Config, load_config
from slipstream.local.monitoring.sources import load_traffic
from slipstream.local.serving.httpbase import free_port
from slipstream.local.serving.plan import build_plan
from slipstream.local.serving.supervisor import Servers
from tests.integration.pipeline_helpers import cli, customers, project_config, status, write_project

pytestmark = pytest.mark.slow

BODY = project_config("churned", "classification", ["segment", "lifetime_value"])
GATE = '[gate]\nmetric = "roc_auc"\nthreshold = 0.6\npromote = "challenger"\n'
# Half the champion's ~16 requests mirrored: none at all has odds 0.5**16 (a quarter gave 0.75**16, 1%).
EXPERIMENT = "[experiment]\nminimum_effect = 0.05\nmin_samples = 30\nshadow_share = 0.5\n"
STUMP = '[model]\nestimator = "sklearn.tree.DecisionTreeClassifier"\nparams = { max_depth = 1 }\n'
REQUESTS, ROWS_PER_REQUEST = 32, 50


class _Client:
    """One keep-alive connection for the whole experiment, as a real caller's HTTP client holds one: 1,600
    feedback posts each opening a connection cost the front (and this process) more than the rows themselves."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)

    def post(self, path: str, body: Any, **headers: str) -> dict[str, Any]:
        self.connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **headers})
        response = self.connection.getresponse()
        answer = response.read()
        assert response.status == 200, answer
        return dict(json.loads(answer))


def _experiment(config: Path, *args: str) -> tuple[int, str]:
    return cli("experiment", *args, "--config", str(config))


def _send_traffic_and_feedback(client: _Client) -> None:
    frame = customers(REQUESTS * ROWS_PER_REQUEST, seed=7)
    features = frame.drop(columns=["churned", "segment", "lifetime_value"])
    for index in range(REQUESTS):
        part = features.iloc[index * ROWS_PER_REQUEST : (index + 1) * ROWS_PER_REQUEST]
        rows = [{k: (None if v != v else v) for k, v in row.items()} for row in part.to_dict("records")]
        answer = client.post("/predict", {"instances": rows}, **{"X-Caller-Id": f"caller-{index}"})
        truth = frame["churned"].iloc[index * ROWS_PER_REQUEST : (index + 1) * ROWS_PER_REQUEST]
        for row, label in enumerate(truth):
            client.post("/feedback", {"request_id": answer["request_id"], "row": row, "ground_truth": label})


def _wait_for_capture(config: Config, rows: int, timeout: float = 30.0) -> None:
    """Capture is written off the request path, a mirrored request's only after the challenger answered it: a
    fixed sleep lost that race on a loaded machine."""
    deadline = time.monotonic() + timeout
    while len(load_traffic(config)) < rows:
        assert time.monotonic() < deadline, f"{len(load_traffic(config))} of {rows} rows captured in {timeout} s"
        time.sleep(0.1)


def _wait_for_champion(url: str, version: str, timeout: float = 30.0) -> None:
    """The front rereads the deployment after DEPLOYMENT_TTL_SECONDS: poll for the new champion, no fixed sleep.
    A new connection: the traffic's has idled past the front's socket timeout during the CLI calls."""
    client = _Client(url)
    row = customers(1, seed=9).drop(columns=["churned", "segment", "lifetime_value"]).iloc[0].to_dict()
    deadline = time.monotonic() + timeout
    while True:
        answer = client.post("/predict", {"instances": [row]}, **{"X-Caller-Id": "caller-0"})
        if (answer["variant"], answer["model_version"]) == ("champion", version):
            return
        assert time.monotonic() < deadline, f"caller-0 still answered by {answer['variant']} {answer['model_version']}"
        time.sleep(0.1)


def test_experiment_from_traffic_to_promotion(tmp_path: Path) -> None:
    config = write_project(tmp_path, BODY.replace('[model]\nestimator = ""\n', "") + STUMP + GATE + EXPERIMENT,
                           customers())  # fmt: skip
    assert cli("run", "--config", str(config))[0] == 0  # the weak stump: the first champion
    config.write_text(BODY + GATE + EXPERIMENT, encoding="utf-8")
    assert cli("run", "--config", str(config))[0] == 0  # the default estimator: staged as the challenger
    plan = build_plan(load_config(config), host="127.0.0.1", port=free_port(), endpoint_port=free_port())
    assert plan.api_env["SHADOW_SHARE"] == "0.5"
    plan.api_env["DEPLOYMENT_TTL_SECONDS"] = "0.2"  # so the promotion below is seen at once

    with Servers(plan, workers=1):
        client = _Client(plan.url)
        _send_traffic_and_feedback(client)
        _wait_for_capture(load_config(config), REQUESTS * ROWS_PER_REQUEST)
        code, output = _experiment(config, "status", "--json")
        assert code == 0, output
        result = json.loads(output)
        assert result["decision"] == "challenger better", result["reason"]
        assert result["interval"]["lower"] > 0 and not result["sample_ratio"]["mismatch"]
        counts = {v["variant"]: v["assigned"] for v in result["variants"]}
        assert sum(counts.values()) == REQUESTS and min(counts.values()) > 0
        shadow = result["shadow"]
        assert shadow["requests"] > 0 and shadow["failed"] == 0 and 0 < shadow["agreement"] < 1

        code, output = _experiment(config, "report")
        assert code == 0, output
        report = (tmp_path / ".slipstream" / "experiments" / "report.html").read_text()
        assert "challenger better" in report and "Shadow mode" in report and "<script>" in report

        code, output = _experiment(config, "promote", "--by", "tester")
        assert code == 0, output
        assert "version 2 is now the champion (was version 1)" in " ".join(output.split())
        promoted = status(config)["champion"]
        assert promoted["version"] == "2" and promoted["experiment"]["decided_by"] == "tester"
        assert promoted["experiment"]["decision"] == "challenger better"
        _wait_for_champion(plan.url, "2")
    code, output = _experiment(config, "status")
    assert code == 1 and "no experiment is running" in output
