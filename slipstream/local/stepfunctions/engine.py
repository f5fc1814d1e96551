"""`slipstream run --engine stepfunctions`: the synthesized state machine, executed in an emulated AWS account.

Synthesizes the CDK app, stands it up in moto with the extensions, uploads the config's data where new data
lands, runs one execution while printing each state as it finishes, copies the run's artifacts back, and ends
with the same metrics and gate summary as the default engine.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from cdk.pipeline.results import GATE
from slipstream.config import Config
from slipstream.documents.deployment import DeploymentRecord
from slipstream.documents.gate import GateDecision
from slipstream.errors import GateRejected, StepFailed
from slipstream.layout import DEPLOYMENT_KEY, EVALUATION, run_prefix
from slipstream.local.stepfunctions.console_view import print_closing, print_state
from slipstream.local.stepfunctions.emulation import emulated_pipeline, upload_dataset
from slipstream.local.stepfunctions.history import execution_end, state_runs
from slipstream.local.stepfunctions.saved_account import account_dir, reset
from slipstream.local.stepfunctions.world import World

PROGRESS_SECONDS = 0.5  # between two reads of a running execution's history


def run_on_stepfunctions(config: Config, console: Console, stage: str = "dev", *, fresh: bool = False) -> None:
    """Raises StepFailed when the execution fails, GateRejected when the gate keeps the champion. The emulated
    account persists in the state folder between runs (`fresh` starts from an empty one)."""
    started = time.perf_counter()
    # moto's interpreter logs every IsPresent miss (`$.champion_search.packages[0]`) as an ERROR: expected here.
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    saved = account_dir(config, stage)
    if fresh:
        reset(saved)
    with console.status(f"Synthesizing the CDK app (stage {stage}) and deploying it to moto …"):
        context = emulated_pipeline(config, stage, saved=saved)
        world = context.__enter__()
    try:
        _print_account(console, world, saved)
        run_id = datetime.now(UTC).strftime("run-%Y%m%dt%H%M%S")
        machine = world.state_machine_arn.rsplit(":", 1)[1]
        console.print(f"State machine {machine}, execution {run_id} (emulated; Wait states and retry delays x0.01)")
        console.print(f"  {'state':<24} {'type':<7} {'started':>8} {'took':>7}", style="dim")
        execution = world.start(run_id, upload_dataset(world, config))
        events = _follow(world, execution, console)
        facts = _facts(world, execution, run_id, events, config.state_path / "sfn-runs" / run_id)
    except BaseException as error:  # interrupted or broken: the saved account stays as the last run left it
        context.__exit__(type(error), error, error.__traceback__)
        raise
    context.__exit__(None, None, None)  # saves the account
    facts.update(seconds=time.perf_counter() - started, account=saved)
    _summarize(console, facts, events)


def _print_account(console: Console, world: World, saved: Path) -> None:
    packages = world.client("sagemaker").list_model_packages(ModelPackageGroupName=world.model_package_group)
    count = len(packages["ModelPackageSummaryList"])
    where = escape(str(saved))
    if count:
        console.print(f"Emulated account {where}: {count} model package(s) from earlier runs", highlight=False)
    else:
        console.print(f"Emulated account {where}: new (no earlier runs)", highlight=False)
    for note in world.account_notes:
        console.print(f"[yellow]warning:[/] {escape(note)}", highlight=False)


def _follow(world: World, execution: str, console: Console) -> list[dict[str, Any]]:
    """Print each state once it has finished, while the execution runs."""
    from slipstream.local.stepfunctions.moto_extensions import costs

    shown, ended = 0, costs.execution_ended(execution)
    while True:
        running = world.status(execution) == "RUNNING"
        events = world.history(execution)
        runs = state_runs(events)
        done = runs if not running else [r for r in runs if r.exited is not None]
        for run in done[shown:]:
            print_state(console, run, events[0]["timestamp"])
        shown = len(done)
        if not running:
            return events
        # A history costs ~10-100 ms of CPU as it grows: twice a second is soon enough to show a state, and the
        # end is shown at once.
        ended.wait(PROGRESS_SECONDS)


def _facts(world: World, execution: str, run_id: str, events: list[dict[str, Any]], run_dir: Path) -> dict[str, Any]:
    s3, sagemaker = world.client("s3"), world.client("sagemaker")
    prefix = run_prefix(run_id)  # the run folder here holds the same relative paths as under it
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=world.artifact_bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            target = run_dir / item["Key"].removeprefix(prefix)
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(world.artifact_bucket, item["Key"], str(target))
    output = _gate_decision(events)
    facts: dict[str, Any] = {"execution": run_id, "status": world.status(execution), "run_dir": run_dir}
    facts.update(gate=output, end=execution_end(events), notifications=_notifications(events))
    packages = sagemaker.list_model_packages(ModelPackageGroupName=world.model_package_group)
    for summary in packages["ModelPackageSummaryList"]:
        facts.update(package=summary["ModelPackageArn"], package_status=summary["ModelApprovalStatus"])
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=world.endpoint_name)
        facts["endpoint"] = f"{world.endpoint_name} on {endpoint['EndpointConfigName']}"
    except sagemaker.exceptions.ClientError:
        pass
    try:  # the record names the model serving: this run's, or the champion's when this one did not deploy
        record = s3.get_object(Bucket=world.artifact_bucket, Key=DEPLOYMENT_KEY)["Body"].read()
        facts["champion"] = DeploymentRecord.model_validate_json(record).champion
    except s3.exceptions.NoSuchKey:
        pass
    return facts


def _gate_decision(events: list[dict[str, Any]]) -> GateDecision | None:
    """QualityGate's decision, read from where the state machine puts it (cdk/pipeline/results.py)."""
    for event in reversed(events):
        if event["type"] == "TaskStateExited" and event["stateExitedEventDetails"]["name"] == "QualityGate":
            output = json.loads(event["stateExitedEventDetails"]["output"])
            for name in GATE.names():
                output = output[name]
            return GateDecision.model_validate(output)
    return None


def _notifications(events: list[dict[str, Any]]) -> list[str]:
    return [
        json.loads(event["taskScheduledEventDetails"]["parameters"]).get("Subject", "")
        for event in events
        if event["type"] == "TaskScheduled" and event["taskScheduledEventDetails"]["resource"] == "publish"
    ]


def _summarize(console: Console, facts: dict[str, Any], events: list[dict[str, Any]]) -> None:
    from slipstream.local.console import print_evaluation

    evaluation_file = facts["run_dir"] / EVALUATION
    if facts["gate"] and evaluation_file.is_file():
        evaluation = json.loads(evaluation_file.read_text(encoding="utf-8"))
        print_evaluation(console, evaluation, facts["gate"], None)
    print_closing(console, facts)
    if facts["status"] != "SUCCEEDED":
        failed = next((r for r in reversed(state_runs(events)) if r.failed), None)
        where = f" in {failed.name} ({failed.failed})" if failed else ""
        cause = str(facts["end"].get("cause", ""))
        raise StepFailed(f"the execution failed{where}: {facts['end'].get('error')}", details=[cause[:500]])
    if facts["gate"] and not facts["gate"].passed:
        raise GateRejected("the quality gate kept the champion")
