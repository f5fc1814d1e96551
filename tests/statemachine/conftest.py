"""The pipeline's state machine, synthesized once per session and run in emulated accounts.

Each scenario is one execution; the executions of one account run in order inside one session fixture, so
the accounts never overlap (moto is process-global) and a test only reads its scenario's Outcome:
- `first_runs`: a fresh account: bad data, a failing training job, and a smoke test failing on a brand-new
  endpoint (nothing to roll back to: the endpoint is deleted).
- `deployed`: a healthy first deployment (of data under an odd object key), then a run throttled by SageMaker
  and Lambda (retried), a run whose smoke test fails (rolled back), an update whose endpoint never starts, a
  run the quality gate rejects, and a smoke-test failure whose rollback does not take.
- `cli_runs`: `slipstream run` twice with the Step Functions engine in one fresh folder, then once with the
  default engine (test_cli_engine.py and test_saved_account.py read it).
The two accounts serve test_branches.py, test_coverage.py and test_object_keys.py, which share the xdist group
RUNS_GROUP; `cli_runs` is STATEMACHINE_GROUP's; `manual_stage` (test_approval.py, test_feedback_auth.py) is
MANUAL_GROUP's and `triggered` TRIGGERS_GROUP's. Every other module runs its own account in a module fixture
and has an xdist group of its own (a module split over two workers would run its fixture on both), so under
`-n 2` the heavy accounts spread over both workers. A synthesis (~20-40 s) is shared by all workers of a
session (SLIPSTREAM_SYNTH_CACHE, tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from slipstream.config import load_config
from slipstream.local.stepfunctions.emulation import emulated_pipeline, upload_dataset
from slipstream.local.stepfunctions.moto_extensions import FAULTS
from tests.statemachine.scenarios import Outcome, Pipeline

STATEMACHINE_GROUP = pytest.mark.xdist_group("statemachine")
RUNS_GROUP = pytest.mark.xdist_group("statemachine-runs")
REPO = Path(__file__).resolve().parents[2]
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


APPROVAL_TIMEOUT_HOURS = 0.005  # 18 s: time to act in two of test_approval.py's runs, a bounded wait in the third


def manual_approval_config():
    """`approval = "manual"` on dev and `[serving] feedback_auth = "iam"`: test_approval.py and
    test_feedback_auth.py read one account of it (`manual_stage`; neither subject depends on the other's setting:
    approvals go through the pipeline stack's API, feedback through the serving stack's)."""
    import tomllib

    from slipstream.config import parse_config

    raw = tomllib.loads((REPO / "slipstream.toml").read_text())
    raw.setdefault("stages", {})["dev"] = {"approval": "manual", "approval_timeout_hours": APPROVAL_TIMEOUT_HOURS}
    raw.setdefault("serving", {})["feedback_auth"] = "iam"
    return parse_config(raw, base_dir=REPO)


@pytest.fixture(scope="session")
def config():
    return load_config(REPO / "slipstream.toml")


@pytest.fixture(scope="session")
def training_frame(config):
    from slipstream.dataset import load_dataset

    return load_dataset(config)


@pytest.fixture(scope="session")
def probe(config, training_frame) -> dict:
    """One row of features, sent to the endpoint after each run to see which version answers."""
    return json.loads(training_frame.drop(columns=[config.data.target]).head(1).to_json(orient="records"))[0]


@pytest.fixture(scope="session")
def first_runs(config, training_frame, probe) -> dict[str, Outcome]:
    with emulated_pipeline(config) as world:
        pipeline, prefix = Pipeline(world, probe), config.stage("dev").data_prefix
        good = upload_dataset(world, config)
        no_target = training_frame.drop(columns=[config.data.target])
        outcomes = {
            "bad_data": pipeline.run("bad-data", pipeline.put_csv(world.data_bucket, f"{prefix}x.csv", no_target))
        }
        # A stray file with other columns under the run's training prefix: SageMaker downloads the whole prefix.
        stray = training_frame[[config.data.target]].head(5)
        pipeline.put_csv(world.artifact_bucket, "runs/stray-file/data/train/zz-stray.csv", stray)
        outcomes["training_failure"] = pipeline.run("stray-file", good)
        FAULTS.add("sagemaker-runtime", "InvokeEndpoint", "ModelError", "the model raised", status=424)
        outcomes["smoke_new_endpoint"] = pipeline.run("smoke-new", good)
        return outcomes


# An ordinary file name, with `, ( ) & '`: the first deployment's data (test_object_keys.py reads it too).
ODD_KEY_NAME = "cohort (2024), v2 & Bob's.csv"


@dataclass(frozen=True)
class DeployedAccount:
    outcomes: dict[str, Outcome]
    happy_data: str  # the s3:// URI of the first deployment's data, under ODD_KEY_NAME
    happy_validation: dict  # that run's validation report (runs/<run id>/validation.json)


@pytest.fixture(scope="session")
def deployed(deployed_account) -> dict[str, Outcome]:
    return deployed_account.outcomes


@pytest.fixture(scope="session")
def deployed_account(config, training_frame, probe) -> DeployedAccount:
    with emulated_pipeline(config) as world:
        pipeline, prefix = Pipeline(world, probe), config.stage("dev").data_prefix
        good = upload_dataset(world, config)
        odd = upload_dataset(world, config, f"{prefix}{ODD_KEY_NAME}")
        outcomes = {"happy": pipeline.run("first-deploy", odd)}
        report = world.client("s3").get_object(Bucket=world.artifact_bucket, Key="runs/first-deploy/validation.json")
        happy_validation = json.loads(report["Body"].read())
        # Train is an optimized integration, RememberServingConfig an AWS SDK one: each names errors its way.
        FAULTS.add("sagemaker", "CreateTrainingJob", "ThrottlingException", "Rate exceeded")
        FAULTS.add("sagemaker", "DescribeEndpoint", "ServiceUnavailable", "Service unavailable", status=503)
        FAULTS.add("awslambda", "Invoke", "TooManyRequestsException", "Rate exceeded", status=429)
        outcomes["throttled"] = pipeline.run("throttled", good)
        FAULTS.add("sagemaker-runtime", "InvokeEndpoint", "ModelError", "the model raised", status=424)
        outcomes["rolled_back"] = pipeline.run("rolled-back", good)
        FAULTS.add("sagemaker", "HostEndpoint", "Failed", "the container exited at start-up")
        outcomes["endpoint_failed"] = pipeline.run("endpoint-fails", good)
        # Same features, labels shuffled: the contract holds, the model learns nothing, the gate says no.
        shuffled = training_frame.copy()
        shuffled[config.data.target] = shuffled[config.data.target].sample(frac=1, random_state=0).to_numpy()
        key = pipeline.put_csv(world.data_bucket, f"{prefix}shuffled.csv", shuffled)
        outcomes["gate_rejected"] = pipeline.run("gate-rejects", key)
        # Last, as it leaves the rejected model serving: the new model starts but fails its smoke test, and
        # the old one no longer starts when the rollback asks for it (skip=1: the update's own start works).
        FAULTS.add("sagemaker-runtime", "InvokeEndpoint", "ModelError", "the model raised", status=424)
        FAULTS.add("sagemaker", "HostEndpoint", "Failed", "the old container exited at start-up", skip=1)
        outcomes["rollback_failed"] = pipeline.run("rollback-fails", good)
        return DeployedAccount(outcomes, f"s3://{world.data_bucket}/{odd}", happy_validation)


@pytest.fixture(scope="session")
def definition(config) -> dict:
    """The synthesized definition itself (the same cached synthesis the scenarios run)."""
    from cdk.pipeline.doc import definition_from_template
    from slipstream.local.stepfunctions.synth import synthesize

    return definition_from_template(synthesize(config).templates["pipeline"])


@dataclass(frozen=True)
class CliRuns:
    folder: Path  # a copy of the bundled config, and the state folder the runs left
    first: tuple[int, str]  # (exit code, output) of each `slipstream run --engine stepfunctions`
    second: tuple[int, str]
    first_sfn_runs: list[str]  # .slipstream/sfn-runs/ after the first run
    local: tuple[int, str]  # `slipstream run` (default engine) after both


def cli_run(config_file: Path, *extra: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from slipstream.cli.main import app

    result = CliRunner().invoke(app, ["run", "-c", str(config_file), *extra])
    return result.exit_code, result.output


@pytest.fixture(scope="session")
def cli_runs(tmp_path_factory) -> CliRuns:
    """The user's way in, once per session: two Step Functions runs on one state folder (the second against the
    first's saved account), then the default engine in the same folder (the same config as `config`'s, so its
    synthesis is cached)."""
    folder = tmp_path_factory.mktemp("cli-runs")
    shutil.copy(REPO / "slipstream.toml", folder / "slipstream.toml")
    first = cli_run(folder / "slipstream.toml", "--engine", "stepfunctions")
    listed = sorted(p.name for p in (folder / ".slipstream" / "sfn-runs").iterdir()) if first[0] == 0 else []
    second = cli_run(folder / "slipstream.toml", "--engine", "stepfunctions")
    local = cli_run(folder / "slipstream.toml", "--engine", "local")
    return CliRuns(folder, first, second, listed, local)


TRIGGERS_GROUP = pytest.mark.xdist_group("statemachine-triggers")  # the `triggered` account's readers


@pytest.fixture(scope="session")
def triggered(config, probe, tmp_path_factory) -> dict:
    """The account with triggers: an upload deploys, then batch files, then alarms (tests/statemachine/triggered.py)."""
    from tests.statemachine import triggered

    return triggered.run(config, probe, tmp_path_factory.mktemp("champion"))


MANUAL_GROUP = pytest.mark.xdist_group("statemachine-manual")  # the `manual_stage` account's readers


@pytest.fixture(scope="session")
def manual_stage(probe) -> dict:
    """The manual stage's account: approvals, then feedback requests (tests/statemachine/manual_stage.py)."""
    from tests.statemachine import manual_stage

    return manual_stage.run(manual_approval_config(), probe)
