"""Scheduled (EventBridge, `{"action": "analyse"}`) and on demand (`slipstream experiment promote|stop --stage`):
the running experiment's result as CloudWatch metrics and a notification; promote or stop when decided."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.common.emf import client, emit
from lambdas.common.env import load_env
from lambdas.experiment.env import ExperimentEnv
from lambdas.experiment.logic import run_experiment
from slipstream.documents.experiment import ExperimentRequest

logger = Logger()


@logger.inject_lambda_context
@event_parser(model=ExperimentRequest)
def handler(event: ExperimentRequest, context: LambdaContext) -> dict[str, Any]:
    answer = run_experiment(load_env(ExperimentEnv), event, client, emit)
    logger.info(answer.reason, extra=answer.model_dump(mode="json"))
    return answer.model_dump(mode="json")
