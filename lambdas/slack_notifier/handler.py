"""SNS (alarms and pipeline events) -> Slack. Failure raises: Lambda's async retry, then the DLQ, keep it.

Wiring the monitoring stack must create: docs/runbook.md#notifier-wiring.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import SnsModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.common.env import load_env
from lambdas.slack_notifier.env import NotifierEnv
from lambdas.slack_notifier.logic import SecretWebhook, deliver
from slipstream.monitoring.slack import Links

logger = Logger()


@cache
def _secrets_client() -> Any:
    import boto3

    return boto3.client("secretsmanager")


@cache
def webhook() -> SecretWebhook:
    env = load_env(NotifierEnv)
    return SecretWebhook(_secrets_client, env.slack_webhook_secret, env.secret_max_age_seconds)


@logger.inject_lambda_context
@event_parser(model=SnsModel)
def handler(event: SnsModel, context: LambdaContext) -> dict[str, Any]:
    env = load_env(NotifierEnv)
    messages = [(record.Sns.Subject, str(record.Sns.Message)) for record in event.Records]
    links = Links(dashboard=env.dashboard_url, runbook=env.runbook_url)
    sections = deliver(messages, webhook(), links, attempts=env.slack_attempts, timeout=env.slack_timeout_seconds)
    logger.info("delivered to Slack", extra={"messages": len(messages), "runbook_sections": sections})
    return {"delivered": len(messages)}
