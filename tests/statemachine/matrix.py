"""A data-driven scenario matrix on top of scenarios.py: each Scenario is a config (TOML text), an optional
dataset generated in the test, the stages to deploy, the stages an execution runs in and how it starts (the
object key, or `slipstream.cli.cloud_run` uploading and the S3 trigger starting it). `run_scenario` writes them
to a folder, deploys every stage into ONE fresh account (one synthesis per config and stage, cached; the stages'
names must not collide, as when `[stages.X] account` is left unset) and returns one Outcome per executed stage
and the names each stage was deployed with. No internet: datasets come from scikit-learn's bundled ones.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd

from slipstream.cli import cloud_run
from slipstream.config import Config, load_config
from slipstream.local.stepfunctions.emulation import emulated_stages, upload_dataset
from slipstream.local.stepfunctions.history import execution_end, path
from slipstream.local.stepfunctions.world import World
from tests.statemachine.scenarios import Outcome, Pipeline

# The execution takes ~15-40 s on a quiet machine and took 72 s in a loaded CI run, whose 1-minute limit failed
# a run that succeeded; a run the trigger never starts waits this long before the test fails.
CLOUD_RUN_TIMEOUT_MINUTES = "10"


@dataclass(frozen=True)
class Scenario:
    name: str
    toml: str  # slipstream.toml; a dataset, if any, is `data.csv` beside it
    data: Callable[[], pd.DataFrame] | None = None
    stages: tuple[str, ...] = ("dev",)
    executed: tuple[str, ...] | None = None  # the stages an execution runs in (default: every stage)
    key: str | None = None  # the uploaded object's name under the stage's data prefix (default: the dataset's)
    run_id: str | None = None  # the execution's name (default: `<scenario name>-<stage>`)
    via_cloud_run: bool = False


@dataclass(frozen=True)
class Ran:
    outcomes: dict[str, Outcome]  # executed stage -> its execution's outcome
    names: dict[str, dict[str, str]]  # deployed stage -> the names its World holds (state machine, buckets, ...)


WORLD_NAMES = (
    "state_machine_arn",
    "data_bucket",
    "artifact_bucket",
    "topic_arn",
    "endpoint_name",
    "model_package_group",
)


def run_scenario(scenario: Scenario, folder: Path) -> Ran:
    (folder / "slipstream.toml").write_text(scenario.toml, encoding="utf-8")
    if scenario.data:
        scenario.data().to_csv(folder / "data.csv", index=False)
    config = load_config(folder / "slipstream.toml")
    executed = scenario.stages if scenario.executed is None else scenario.executed
    outcomes = {}
    with emulated_stages(config, scenario.stages, triggers=executed if scenario.via_cloud_run else ()) as worlds:
        names = {stage: {name: getattr(world, name) for name in WORLD_NAMES} for stage, world in worlds.items()}
        for stage in executed:
            world = worlds[stage]
            pipeline = Pipeline(world, probe_row(config))
            if scenario.via_cloud_run:
                outcomes[stage] = _through_cloud_run(world, pipeline, folder / "slipstream.toml", stage)
            else:
                prefix = config.stage(stage).data_prefix
                key = upload_dataset(world, config, f"{prefix}{scenario.key}" if scenario.key else None)
                outcomes[stage] = pipeline.run(scenario.run_id or f"{scenario.name}-{stage}", key)
    return Ran(outcomes, names)


def probe_row(config: Config) -> dict:
    """One row of features as a caller sends them (no target, no ignored columns)."""
    from slipstream.dataset import load_dataset

    frame = load_dataset(config).drop(columns=[config.data.target, *config.data.ignore_columns])
    return json.loads(frame.head(1).to_json(orient="records"))[0]


def _through_cloud_run(world: World, pipeline: Pipeline, config_file: Path, stage: str) -> Outcome:
    """What the deploy workflow does after `cdk deploy`: cloud_run uploads, the S3 trigger starts the run."""
    quick = functools.partial(cloud_run.wait_for, poll_s=0.5)  # 15 s polls are for a real account
    with mock.patch.object(cloud_run, "wait_for", quick):
        arguments = ["--stage", stage, "--config", str(config_file), "--timeout-minutes", CLOUD_RUN_TIMEOUT_MINUTES]
        code = cloud_run.main(arguments)
    executions = world.client("stepfunctions").list_executions(stateMachineArn=world.state_machine_arn)
    started = executions["executions"]
    if not started:
        listing = world.client("s3").list_objects_v2(Bucket=world.data_bucket).get("Contents", [])
        uploaded = [item["Key"] for item in listing]
        end = {"error": "NotStarted", "cause": f"cloud_run exited {code}; no execution; data bucket holds {uploaded}"}
        return Outcome("", "NOT_STARTED", [], [], end, pipeline.drain())
    arn = started[0]["executionArn"]
    world.wait(arn)
    events = world.history(arn)
    outcome = Outcome(started[0]["name"], world.status(arn), path(events), events, execution_end(events), [])
    outcome.notifications = pipeline.drain()
    outcome.end["cloud_run_exit"] = code
    return pipeline.capture(outcome)


# --- datasets ------------------------------------------------------------------------------------------------


def diabetes_with_categories_and_gaps(rows: int = 300) -> pd.DataFrame:
    """Regression: diabetes, plus a categorical column that carries signal, NaNs in two features, and an id
    column the config ignores (unique per row: a model that used it would not generalise)."""
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes(as_frame=True)
    frame = bunch.data.assign(progression=bunch.target).head(rows).reset_index(drop=True)
    rng = np.random.default_rng(7)
    frame["clinic"] = np.where(frame["bmi"] > frame["bmi"].median(), "north", "south")
    frame.loc[rng.random(len(frame)) < 0.1, "clinic"] = "east"
    for column in ("bp", "s3"):
        frame.loc[rng.random(len(frame)) < 0.04, column] = np.nan
    frame.insert(0, "patient_id", [f"p{n:05d}" for n in range(len(frame))])
    return frame


DEPLOYED_TAIL = ["SmokeTest", "SmokeTestPassed", "ApproveModel", "RecordDeployment", "NotifySuccess", "Deployed"]


def assert_first_deployment(run: Outcome, *, project: str, stage: str = "dev") -> dict[str, Any]:
    """A first run that deployed: package Approved with its lineage, a new endpoint serving version 1, the
    record naming the run, one "deployed" notification. Returns the package for scenario-specific checks."""
    assert run.status == "SUCCEEDED", [run.end, *(m.get("error") for m in run.notifications)]
    assert "CreateEndpoint" in run.path and run.path[-6:] == DEPLOYED_TAIL
    ((run_id, status),) = run.packages.items()
    package = run.package_details[run_id]
    assert status == "Approved" and run_id == run.run_id
    metadata = package["CustomerMetadataProperties"]
    assert metadata["gate.decision"] == "passed" and len(metadata["data.sha256"]) == 64
    assert run.endpoint["EndpointName"] == f"{project}-{stage}" and run.endpoint["EndpointStatus"] == "InService"
    assert run.answer["model_version"] == "1" and len(run.answer["predictions"]) == 1
    assert run.record["champion"]["run_id"] == run_id and run.record["champion"]["version"] == "1"
    (message,) = run.notifications
    assert message["status"] == "deployed" and message["gate"]["passed"] is True
    return package


SAGEMAKER_NAME_FIELDS = ("TrainingJobName", "ProcessingJobName", "ModelName", "EndpointConfigName", "EndpointName")


def sagemaker_names(run: Outcome) -> dict[str, set[str]]:
    """The names the execution's SageMaker tasks (optimized or AWS SDK integrations) gave or asked for, by
    field: "TrainingJobName" -> {"...-train"}, ... (the fields of SAGEMAKER_NAME_FIELDS it used)."""
    names: dict[str, set[str]] = {}
    for event in run.events:
        details = event.get("taskScheduledEventDetails")
        if details and "sagemaker" in details["resourceType"].split(":"):  # "sagemaker" or "aws-sdk:sagemaker"
            parameters = json.loads(details["parameters"])
            for field_name in SAGEMAKER_NAME_FIELDS:
                if isinstance(parameters.get(field_name), str):
                    names.setdefault(field_name, set()).add(parameters[field_name])
    return names


def metadata_character(character: str) -> bool:
    r"""SageMaker's CustomerMetadataProperties value pattern: [\p{L}\p{Z}\p{N}_.:\/=+\-@]*."""
    kind = unicodedata.category(character)
    return kind.startswith(("L", "Z", "N")) or character in "_.:/=+-@"
