"""`slipstream promote --to staging|prod`: deploy the package the source stage approved (train once, promote the
same artifact), by starting the target stage's state machine with a PromotionRequest and following it.

The execution is named `promote-<source stage>-<version>`: promoting the same package twice follows the first
execution instead of starting another. Exit codes as cloud_run: 0 deployed (or waiting for a manual approval),
1 the execution failed or timed out, 2 bad input (unknown stage, no source, no such Approved package).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from slipstream.cli.cloud_run import FINAL, export_value
from slipstream.cli.common import ConfigOption, console, fail, load
from slipstream.config import Config
from slipstream.documents.promotion import PromotionRequest, promotion_run_id
from slipstream.errors import SlipstreamError
from slipstream.promotion_config import source_stage
from slipstream.stage_config import STAGE_NAMES

APPROVAL_STATE = "WaitForApproval"  # the approval lane's task-token state (cdk/pipeline/approval.py)
WAITING = "WAITING_FOR_APPROVAL"


class PromotionError(SlipstreamError):
    exit_code = 2


def group_name(config: Config, stage: str) -> str:
    """The stage's model package group, as DeploySettings.model_package_group names it (cdk/shared/naming.py
    bounded, 63 characters; the CLI may not import the CDK app: tests/unit/test_promote_cli.py checks they agree)."""
    name, limit = f"{config.name}-{stage}", 63
    if len(name) <= limit:
        return name
    return f"{name[: limit - 9].rstrip('-')}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


def source_of(config: Config, target: str) -> str:
    if target not in STAGE_NAMES:
        raise PromotionError(f"unknown stage {target!r}; choose one of {', '.join(STAGE_NAMES)}")
    source = source_stage(target, config.stage(target))
    if source is None:
        raise PromotionError(
            f"stage {target} has no source stage to promote from: set [stages.{target}] promote_from in the config"
        )
    return source


def find_package(sagemaker: Any, group: str, version: int | None) -> dict[str, Any]:
    """The newest Approved package of `group`, or its version `version` (which must be Approved)."""
    if version is not None:
        arn = _package_arn(sagemaker, group, version)
        package = sagemaker.describe_model_package(ModelPackageName=arn)
        if package["ModelApprovalStatus"] != "Approved":
            raise PromotionError(
                f"version {version} of {group} is {package['ModelApprovalStatus']}, not Approved: only a package "
                "that passed its smoke test in the source stage can be promoted"
            )
        return dict(package)
    summaries = sagemaker.list_model_packages(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )["ModelPackageSummaryList"]
    if not summaries:
        raise PromotionError(f"{group} has no Approved model package to promote (deploy one in that stage first)")
    return dict(sagemaker.describe_model_package(ModelPackageName=summaries[0]["ModelPackageArn"]))


def _package_arn(sagemaker: Any, group: str, version: int) -> str:
    for page in sagemaker.get_paginator("list_model_packages").paginate(ModelPackageGroupName=group):
        for summary in page["ModelPackageSummaryList"]:
            if summary.get("ModelPackageVersion") == version:
                return str(summary["ModelPackageArn"])
    raise PromotionError(f"{group} has no version {version}")


def promotion_request(source: str, package: dict[str, Any]) -> PromotionRequest:
    """The execution input: the package and the bucket its archive is in (s3://<bucket>/models/...)."""
    url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    return PromotionRequest(
        run_id=promotion_run_id(source, int(package["ModelPackageVersion"])),
        source_stage=source,  # type: ignore[arg-type]
        model_package_arn=package["ModelPackageArn"],
        source_bucket=url.removeprefix("s3://").split("/", 1)[0],
    )


def start_promotion(
    config: Config, target: str, *, version: int | None, cfn: Any, sagemaker: Any, sfn: Any
) -> tuple[str, PromotionRequest]:
    """Start (or find, when it was started before) the target's promotion execution: (state machine, request)."""
    source = source_of(config, target)
    package = find_package(sagemaker, group_name(config, source), version)
    request = promotion_request(source, package)
    state_machine = export_value(cfn, f"{config.name}-{target}-pipeline", "StateMachineArn")
    # The same package promoted before: follow that execution.
    with contextlib.suppress(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(
            stateMachineArn=state_machine, name=request.run_id, input=json.dumps(request.model_dump(mode="json"))
        )
    return state_machine, request


def follow(
    sfn: Any, state_machine: str, name: str, *, timeout_s: float, poll_s: float = 15.0, say: Callable[[str], None]
) -> str:
    """The execution's final status, WAITING_FOR_APPROVAL once it waits in WaitForApproval, or TIMED_OUT."""
    arn = state_machine.replace(":stateMachine:", ":execution:") + f":{name}"
    deadline, last = time.monotonic() + timeout_s, ""
    while time.monotonic() < deadline:
        status = str(sfn.describe_execution(executionArn=arn)["status"])
        if status == "RUNNING" and _waits_for_approval(sfn, arn):
            status = WAITING
        if status != last:
            say(f"{name}: {status}")
            last = status
        if status in FINAL or status == WAITING:
            return status
        time.sleep(poll_s)
    return "TIMED_OUT"


def _waits_for_approval(sfn: Any, arn: str) -> bool:
    events = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=20)["events"]
    for event in events:
        entered = event.get("stateEnteredEventDetails", {}).get("name")
        exited = event.get("stateExitedEventDetails", {}).get("name")
        if exited == APPROVAL_STATE:
            return False
        if entered == APPROVAL_STATE:
            return True
    return False


def promote(
    to: Annotated[str, typer.Option("--to", help="The stage to deploy to: staging or prod.")],
    version: Annotated[
        int | None, typer.Option("--version", help="The source package version (default: its newest Approved).")
    ] = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Follow the execution to its end.")] = True,
    timeout_minutes: Annotated[float, typer.Option("--timeout-minutes")] = 90,
    config: ConfigOption = Path("slipstream.toml"),
) -> None:
    """Deploy the source stage's Approved model package to a later stage (the same archive, not a retrained one)."""
    import boto3

    cfg = load(config)
    try:
        clients = {name: boto3.client(service) for name, service in _SERVICES.items()}
        state_machine, request = start_promotion(cfg, to, version=version, **clients)
    except SlipstreamError as error:
        raise fail(error) from None
    console.print(f"promoting {request.model_package_arn} to {to} ({request.run_id})", highlight=False)
    if not wait:
        return
    status = follow(clients["sfn"], state_machine, request.run_id, timeout_s=timeout_minutes * 60, say=console.print)
    if status == WAITING:
        console.print(f"waiting for approval: run `slipstream approve --stage {to}` (or reject it)", highlight=False)
        return
    if status != "SUCCEEDED":
        raise typer.Exit(1)


_SERVICES = {"cfn": "cloudformation", "sagemaker": "sagemaker", "sfn": "stepfunctions"}
