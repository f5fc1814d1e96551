"""Ending an experiment on AWS: promote (the champion endpoint takes the challenger's config) or stop.

Order is chosen so a failure part-way leaves something that serves and says so: the endpoint changes first and
is waited for (a failed update keeps the old config, nothing else has changed), then the deployment record
(the predict Lambda routes by it), then the packages, and the challenger endpoint is deleted last, once the
predict Lambda has re-read the record (its TTL). Package status rule (cdk/pipeline/challenger.py): the
champion is the newest Approved package, so a promoted challenger becomes Approved, a stopped one Rejected.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any, Literal

from lambdas.experiment.env import ExperimentEnv
from slipstream.documents.deployment import DeploymentRecord, ExperimentDecision
from slipstream.experiment.result import ExperimentResult

# SageMaker's pattern for a metadata value: letters, digits, spaces and _.:/=+-@ (no brackets, commas).
NOT_IN_METADATA = re.compile(r"[^\w\s.:/=+\-@]")
ROLE_KEY = "experiment"  # the CustomerMetadataProperties key the pipeline sets (cdk/pipeline/challenger.py)
MAX_DECISIONS = 50  # the record keeps this many ended experiments
SageMakerClient = Any


class PromotionFailed(RuntimeError):
    """The champion endpoint did not take the challenger's config: nothing else was changed."""


def end_experiment(
    action: Literal["promote", "stop"],
    record: DeploymentRecord,
    result: ExperimentResult,
    decided_by: str,
    *,
    env: ExperimentEnv,
    sagemaker: SageMakerClient,
    write_record: Any,
) -> DeploymentRecord:
    """Promote or stop the record's challenger; returns the record written."""
    challenger = record.challenger
    assert challenger is not None, "only a running experiment ends"
    decision = _decision(action, record, result, decided_by)
    champion = record.champion
    if action == "promote":
        _move_champion_endpoint(env, sagemaker)
        champion = challenger.model_copy(update={"endpoint": env.champion_endpoint})
    updated = DeploymentRecord(
        champion=champion, challenger=None, decisions=[*record.decisions, decision][-MAX_DECISIONS:]
    )
    write_record(updated)
    status = "Approved" if action == "promote" else "Rejected"
    sagemaker.update_model_package(
        ModelPackageArn=env.package_arn(challenger.version),
        ModelApprovalStatus=status,
        ApprovalDescription=f"{decision.action} by {decided_by}: {decision.reason}"[:1024],
        CustomerMetadataProperties=package_metadata(decision),
    )
    time.sleep(env.record_ttl_seconds)  # the predict Lambda stops routing to the challenger before it goes
    sagemaker.delete_endpoint(EndpointName=env.challenger_endpoint)
    return updated


def _move_champion_endpoint(env: ExperimentEnv, sagemaker: SageMakerClient) -> None:
    config = sagemaker.describe_endpoint(EndpointName=env.challenger_endpoint)["EndpointConfigName"]
    sagemaker.update_endpoint(EndpointName=env.champion_endpoint, EndpointConfigName=config)
    # A serverless update takes minutes; the Lambda's timeout (15 min) leaves the waiter its ~12.
    attempts = int(720 / env.endpoint_poll_seconds)
    sagemaker.get_waiter("endpoint_in_service").wait(
        EndpointName=env.champion_endpoint, WaiterConfig={"Delay": env.endpoint_poll_seconds, "MaxAttempts": attempts}
    )
    serving = sagemaker.describe_endpoint(EndpointName=env.champion_endpoint)
    if serving["EndpointConfigName"] != config:
        raise PromotionFailed(
            f"endpoint {env.champion_endpoint} kept config {serving['EndpointConfigName']} instead of {config}: "
            f"{serving.get('FailureReason') or 'no failure reason given'}; the experiment is still running"
        )


def _decision(
    action: Literal["promote", "stop"], record: DeploymentRecord, result: ExperimentResult, decided_by: str
) -> ExperimentDecision:
    assert record.challenger is not None
    labelled: dict[str, int] = {variant.variant: variant.labelled for variant in result.variants}
    return ExperimentDecision(
        action=action,
        decided_by=decided_by,
        decided_at=datetime.now(UTC).isoformat(),
        champion_version=record.champion.version if record.champion else None,
        challenger_version=record.challenger.version,
        decision=result.decision,
        reason=result.reason,
        effect=result.effect,
        lower=result.interval.lower if result.interval else None,
        upper=result.interval.upper if result.interval else None,
        p_value=result.p_value,
        labelled=labelled,
    )


def package_metadata(decision: ExperimentDecision) -> dict[str, str]:
    """The decision on the package itself (SageMaker keeps each value to 256 characters)."""
    figures = {
        ROLE_KEY: "promoted" if decision.action == "promote" else "stopped",
        "experiment_decided_by": decision.decided_by,
        "experiment_decided_at": decision.decided_at,
        "experiment_decision": decision.decision,
        "experiment_effect": _number(decision.effect),
        "experiment_interval": f"{_number(decision.lower)} to {_number(decision.upper)}",
        "experiment_p_value": _number(decision.p_value),
        "experiment_labelled": " ".join(f"{k}={v}" for k, v in decision.labelled.items()),
        "experiment_champion": decision.champion_version or "none",
    }
    return {key: NOT_IN_METADATA.sub("", value)[:256] for key, value in figures.items()}


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.6g}"
