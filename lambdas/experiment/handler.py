"""Scheduled (EventBridge, `{"action": "analyse"}`) and on demand (`slipstream experiment promote|stop --stage`):
the running experiment's result as CloudWatch metrics and a notification; promote or stop when decided."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.common.env import load_env
from lambdas.experiment.env import ExperimentEnv
from lambdas.experiment.logic import run_experiment
from slipstream.documents.experiment import ExperimentRequest

logger = Logger()
NAMESPACE = "Slipstream"


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)


def emit(name: str, unit: str, value: float, dimensions: dict[str, str]) -> None:
    # One EMF document per data point: the per-variant counts need their own dimension set.
    with single_metric(name, MetricUnit(unit), value, namespace=NAMESPACE, default_dimensions=dimensions):
        pass


@logger.inject_lambda_context
@event_parser(model=ExperimentRequest)
def handler(event: ExperimentRequest, context: LambdaContext) -> dict[str, Any]:
    answer = run_experiment(load_env(ExperimentEnv), event, client, emit)
    logger.info(answer.reason, extra=answer.model_dump(mode="json"))
    return answer.model_dump(mode="json")
