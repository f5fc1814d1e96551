"""One experiment at a time, with real runs: a rejected model never touches the running experiment, a passing
one while it runs is registered but not staged, and stopping it leaves the champion as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdas.predict.service import capture_rows
from slipstream import layout
from slipstream.warehouse.schema import capture_columns
from tests.integration.pipeline_helpers import cli, customers, project_config, status, write_project

pytestmark = pytest.mark.slow

BODY = project_config("churned", "classification", ["segment", "lifetime_value"])
STAGED = BODY + '\n[gate]\npromote = "challenger"\n'
COLUMNS = capture_columns(["spend"])
DUMMY = '[model]\nestimator = "sklearn.dummy.DummyClassifier"\n'
# The staging rules do not depend on the data: at 160 rows the same model retrained is still not worse than
# itself and the dummy still fails the baseline, and each of the four runs evaluates and exports for less.
ROWS = 160


def _write_champion_better_traffic(state: Path, per_variant: int = 300) -> None:
    """Captures as the predict Lambda writes them, and feedback: the champion right, the challenger mostly wrong."""
    lines, feedback = [], []
    for index in range(2 * per_variant):
        variant, version = ("champion", "1") if index % 2 else ("challenger", "2")
        body = {"request_id": f"r{index}", "variant": variant, "model_version": version, "predictions": ["yes"]}
        lines += [json.dumps(r) for r in capture_rows(body, f"customers-{variant}", 3.0, [{"spend": 1.0}], COLUMNS)]
        truth = "yes" if variant == "champion" or index % 6 == 0 else "no"
        feedback.append(json.dumps({"request_id": f"r{index}", "row": 0, "ground_truth": truth}))
    (state / "serving" / "capture").mkdir(parents=True)
    (state / "serving" / "capture" / "predictions.jsonl").write_text("\n".join(lines) + "\n")
    (state / "serving" / "feedback.jsonl").write_text("\n".join(feedback) + "\n")


def _versions(config: Path) -> dict[str, str | None]:
    return {alias: (info or {}).get("version") for alias, info in status(config).items()}


def test_rejected_and_refused_models_leave_the_running_experiment_alone(tmp_path: Path) -> None:
    config = write_project(tmp_path, STAGED, customers(rows=ROWS))
    assert cli("run", "--config", str(config))[0] == 0  # no champion yet: the first passing model is the champion
    assert cli("run", "--config", str(config))[0] == 0
    assert _versions(config) == {"champion": "1", "challenger": "2", "latest": "2"}

    # The bug this replaces: every new version took `challenger`, so a rejected run ended the experiment.
    config.write_text(STAGED.replace('[model]\nestimator = ""\n', "") + DUMMY, encoding="utf-8")
    code, output = cli("run", "--config", str(config))
    assert code == 5, output
    assert _versions(config) == {"champion": "1", "challenger": "2", "latest": "3"}
    rejected = status(config)["latest"]
    assert (rejected["gate"], rejected["staging"], rejected["aliases"]) == ("rejected", "none", [])

    config.write_text(STAGED, encoding="utf-8")
    code, output = cli("run", "--config", str(config))
    assert code == 7, output
    said = " ".join(output.split())  # the console wraps long lines
    assert "challenger version 2 against champion version 1 is running" in said
    assert "slipstream experiment promote" in said and "slipstream experiment stop" in said
    assert _versions(config) == {"champion": "1", "challenger": "2", "latest": "4"}
    refused = status(config)["latest"]
    assert refused["gate"] == "passed" and refused["staging"] == "refused" and "is running" in refused["staging_reason"]

    _write_champion_better_traffic(tmp_path / ".slipstream")
    code, output = cli("experiment", "promote", "--config", str(config))
    assert code == 8 and "champion better" in output and "--force" in output, output
    assert _versions(config)["champion"] == "1"

    code, output = cli("experiment", "stop", "--config", str(config), "--by", "ana")
    assert code == 0, output
    assert _versions(config) == {"champion": "1", "challenger": None, "latest": "4"}
    stopped = next(tmp_path.glob(f".slipstream/runs/*/{layout.EXPERIMENT_DECISION}"))
    record = json.loads(stopped.read_text())
    assert (record["outcome"], record["challenger_version"], record["decided_by"]) == ("stopped", "2", "ana")
    assert record["result"]["decision"] == "champion better" and not record["forced"]
    assert status(config)["latest"]["version"] == "4"
    assert json.loads(cli("status", "--config", str(config), "--json")[1])["champion"]["experiment"] is None
    code, output = cli("experiment", "status", "--config", str(config))
    assert code == 1 and "no experiment is running" in output and "Traceback" not in output
