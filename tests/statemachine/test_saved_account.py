"""The emulated account persists between `slipstream run --engine stepfunctions` runs, as a real account does: the
second run updates the endpoint and is compared against the first run's champion, the endpoint serves again
after the account is restored, and a failed smoke test rolls back to the config an earlier run deployed."""

from __future__ import annotations

import json
import shutil

import pytest

from slipstream.config import load_config
from slipstream.local.stepfunctions.emulation import emulated_pipeline, upload_dataset
from slipstream.local.stepfunctions.moto_extensions import FAULTS
from slipstream.local.stepfunctions.saved_account import FILE_NAME, account_dir
from tests.statemachine.conftest import REPO, STATEMACHINE_GROUP, cli_run
from tests.statemachine.scenarios import Pipeline

pytestmark = [STATEMACHINE_GROUP, pytest.mark.slow]


def _run(config_file, *extra):
    return cli_run(config_file, "--engine", "stepfunctions", *extra)


def _flat(output: str) -> str:
    """The output as one line: rich wraps long lines at the terminal width."""
    return " ".join(output.split())


def _states(output: str) -> list[str]:
    return [line.split()[1] for line in output.splitlines() if line.startswith("✓")]


@pytest.fixture(scope="module")
def two_runs(cli_runs):
    """Two CLI runs on one state folder: conftest's `cli_runs` (test_cli_engine.py reads the same runs)."""
    return cli_runs.folder, cli_runs.first, cli_runs.second


def test_the_first_run_creates_the_endpoint_and_saves_the_account(two_runs):
    folder, (code, output), _ = two_runs
    assert code == 0, output
    assert "new (no earlier runs)" in _flat(output)
    states = _states(output)
    assert "EvaluateWithoutChampion" in states and "CreateEndpoint" in states and "UpdateEndpoint" not in states
    assert (folder / ".slipstream" / "aws" / "dev" / FILE_NAME).is_file()


def test_the_second_run_updates_the_endpoint_against_the_first_runs_champion(two_runs):
    folder, (_, first), (code, output) = two_runs
    assert code == 0, output
    assert "1 model package(s) from earlier runs" in _flat(output)
    states = _states(output)
    after_train = states[states.index("Train") + 1 :]
    assert after_train[:4] == ["FindChampion", "HasChampion", "DescribeChampion", "EvaluateAgainstChampion"]
    assert "UpdateEndpoint" in states and "CreateEndpoint" not in states
    assert "Deployment: version 2 " in _flat(output) and "Deployment: version 1 " in _flat(first)
    first_run, second_run = sorted((folder / ".slipstream" / "sfn-runs").iterdir())
    evaluations = [json.loads((run / "evaluation" / "evaluation.json").read_text()) for run in (first_run, second_run)]
    # Evaluate got --champion-model-dir: the first run's model, scored on the second run's held-out rows.
    assert evaluations[0].get("champion_metrics") is None
    assert set(evaluations[1]["champion_metrics"]) == set(evaluations[1]["metrics"])


@pytest.fixture(scope="module")
def restored(two_runs, probe) -> dict:
    """The account the CLI saved, restored: what it holds, then a run whose smoke test fails; then, in the same
    process, a fresh account (the same endpoint name and ARN) asked for what the restored one served."""
    folder, *_ = two_runs
    config = load_config(folder / "slipstream.toml")
    with emulated_pipeline(config, saved=account_dir(config, "dev")) as world:
        pipeline = Pipeline(world, probe)
        before = pipeline.snapshot()
        FAULTS.add("sagemaker-runtime", "InvokeEndpoint", "ModelError", "the model raised", status=424)
        run = pipeline.run("rolled-back", upload_dataset(world, config))
    with emulated_pipeline(config) as world:
        runtime, body = world.client("sagemaker-runtime"), json.dumps({"instances": [probe]})
        try:
            runtime.invoke_endpoint(EndpointName=world.endpoint_name, ContentType="application/json", Body=body)
            fresh = "the fresh account's endpoint answered"
        except runtime.exceptions.ClientError as error:
            fresh = str(error)
    return {"before": before, "run": run, "fresh": fresh}


def test_a_restored_account_serves_both_runs_history_and_rolls_back_to_an_earlier_config(restored):
    """Restore the account the CLI saved: packages, record and endpoint are there and the endpoint answers;
    then a run whose smoke test fails rolls back to the config the second CLI run deployed."""
    before, run = restored["before"], restored["run"]
    assert sorted(before.packages.values()) == ["Approved", "Approved"]
    versions = {run_id: package["ModelPackageVersion"] for run_id, package in before.package_details.items()}
    first_run, second_run = sorted(versions, key=versions.__getitem__)
    assert before.record["champion"]["run_id"] == second_run and before.record["champion"]["version"] == "2"
    assert before.endpoint["EndpointConfigName"] == f"breast-cancer-dev-{second_run}"
    assert before.answer["model_version"] == "2"  # the endpoint serves again after the restart
    assert run.status == "FAILED" and run.path[-2:] == ["NotifyRolledBack", "RolledBack"]
    assert run.packages == {first_run: "Approved", second_run: "Approved", "rolled-back": "Rejected"}
    assert run.endpoint["EndpointConfigName"] == f"breast-cancer-dev-{second_run}"
    assert run.answer["model_version"] == "2" and run.record == before.record


def test_a_corrupt_saved_account_is_refused_with_how_to_start_over(tmp_path):
    shutil.copy(REPO / "slipstream.toml", tmp_path / "slipstream.toml")
    saved = tmp_path / ".slipstream" / "aws" / "dev" / FILE_NAME
    saved.parent.mkdir(parents=True)
    saved.write_bytes(b"not a pickle")
    code, output = _run(tmp_path / "slipstream.toml")
    assert code == 2 and "Traceback" not in output
    assert str(saved) in "".join(output.split()) and "--fresh" in output  # the path may wrap mid-name


def test_a_fresh_account_serves_nothing_that_an_earlier_account_in_this_process_hosted(restored):
    assert restored["before"].answer["model_version"] == "2"  # the restored account hosted the endpoint
    assert "not found" in restored["fresh"], restored["fresh"]
