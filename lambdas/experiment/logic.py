"""One experiment Lambda run: analyse the running experiment, publish it, and act when asked or allowed.

`analyse` (the schedule): the result as metrics; the decision on the topic once it is more than "keep
collecting"; with `auto_decide`, promote or stop when the test says so. `promote` / `stop` (a person, through
`slipstream experiment promote|stop --stage`): the same change, whatever the test says, recorded with who
asked and the figures at that moment. No running experiment: nothing to do, and a manual action says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lambdas.common.captures import read_deployment
from lambdas.common.s3uri import split_s3_uri
from lambdas.experiment.actions import end_experiment
from lambdas.experiment.env import ExperimentEnv
from lambdas.experiment.publish import Emit, decision_message, publish_result
from lambdas.experiment.sources import read_rows
from slipstream.documents.deployment import DeploymentRecord
from slipstream.documents.experiment import EXPERIMENT_LAMBDA, ExperimentAnswer, ExperimentRequest
from slipstream.experiment.outcomes import analyse
from slipstream.experiment.result import ExperimentResult


class NoExperiment(ValueError):
    """A manual promote or stop with no challenger in the deployment record."""


def run_experiment(
    env: ExperimentEnv, request: ExperimentRequest, client: Callable[[str], Any], emit: Emit
) -> ExperimentAnswer:
    config = env.config()
    s3 = client("s3")
    record = read_deployment(s3, env.deployment_uri)
    if record is None or record.challenger is None:
        if request.action != "analyse":
            raise NoExperiment(f"no experiment is running on {config.name}: the deployment record has no challenger")
        return ExperimentAnswer(running=False, acted="none", reason="no experiment is running")
    result = analyse(read_rows(env, record, s3, client("dynamodb")), config.experiment)
    points = publish_result(result, config.name, emit)
    acted, decided_by = _what_to_do(request, result, auto_decide=config.experiment.auto_decide)
    versions = {
        "champion": record.champion.version if record.champion else None,
        "challenger": record.challenger.version,
    }
    if acted != "none":
        assert decided_by is not None
        end_experiment(
            acted,
            record,
            result,
            decided_by,
            env=env,
            sagemaker=client("sagemaker"),
            write_record=_writer(env, s3),
        )
    if acted != "none" or result.decision != "keep collecting":
        subject, message = decision_message(
            result, project=config.name, stage=env.stage, acted=acted, decided_by=decided_by, versions=versions
        )
        client("sns").publish(TopicArn=env.topic_arn, Subject=subject, Message=message)
    return ExperimentAnswer(
        running=acted == "none",
        acted=acted,
        decided_by=decided_by,
        decision=result.decision,
        reason=result.reason,
        champion_version=versions["champion"],
        challenger_version=versions["challenger"],
        data_points=points,
    )


def _what_to_do(request: ExperimentRequest, result: ExperimentResult, *, auto_decide: bool) -> tuple[Any, str | None]:
    if request.action in ("promote", "stop"):
        return request.action, request.decided_by or "unknown caller"
    if auto_decide and result.action in ("promote", "stop"):
        return result.action, EXPERIMENT_LAMBDA
    return "none", None


def _writer(env: ExperimentEnv, s3: Any) -> Callable[[DeploymentRecord], None]:
    bucket, key = split_s3_uri(env.deployment_uri)

    def write(record: DeploymentRecord) -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=record.to_json().encode("utf-8"), ContentType="application/json")

    return write
