"""The challenger side of RecordDeployment (gate.promote = "challenger"): before a passing model is deployed,
is an experiment already running? After its smoke test passed, record it as the challenger beside the champion.

One experiment at a time: a record that names a challenger refuses the next one, with a message that says how
to end the running experiment. The record is the one place that says what serves, so it is also what decides.
"""

from __future__ import annotations

from typing import Any

from lambdas.common.s3uri import split_s3_uri
from slipstream.documents.deployment import DeploymentRecord, VariantRecord
from slipstream.documents.experiment import ExperimentCheckRequest, ExperimentSlot


class ExperimentRunning(Exception):
    """A challenger is already being tested: the state machine refuses the new one (error name: this class)."""


def read_record(s3: Any, deployment_uri: str) -> DeploymentRecord | None:
    bucket, key = split_s3_uri(deployment_uri)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return DeploymentRecord.model_validate_json(body)


def check_experiment(request: ExperimentCheckRequest, *, s3: Any, deployment_uri: str) -> ExperimentSlot:
    record = read_record(s3, deployment_uri)
    running = record.challenger if record else None
    if running is None:
        return ExperimentSlot(running=False, version=None, endpoint=None, message="no experiment is running")
    return ExperimentSlot(running=True, version=running.version, endpoint=running.endpoint, message=refusal(running))


def refusal(running: VariantRecord) -> str:
    return (
        f"an experiment is running: version {running.version} is the challenger on endpoint {running.endpoint}; "
        "this run's model is registered as Rejected (experiment=refused). End the experiment first "
        "(slipstream experiment promote|stop --stage <stage>), then run the pipeline again"
    )


def with_challenger(record: DeploymentRecord | None, challenger: VariantRecord) -> DeploymentRecord:
    """The record with `challenger` added; the champion, and the decisions so far, are kept."""
    if record is None or record.champion is None:
        raise ValueError("a challenger needs a champion: the deployment record has none (deploy a champion first)")
    if record.challenger is not None:
        raise ExperimentRunning(refusal(record.challenger))
    return record.model_copy(update={"challenger": challenger})
