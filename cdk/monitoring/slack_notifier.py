"""The Slack notifier (lambdas/slack_notifier): subscribed to the notifications topic, webhook in Secrets Manager.

Wiring as docs/runbook.md#notifier-wiring asks: SNS invokes it asynchronously; a message Slack does not take
fails the invocation, Lambda retries it twice within the hour, then sends the whole event (`requestPayload`)
to the on-failure destination, an encrypted SQS queue kept 14 days. The subscription's own dead-letter queue
is the same queue, for deliveries SNS itself cannot make. docs/runbook.md#notifier-dlq-not-empty: replay.

The secret is referenced by name (`[monitoring] slack_webhook_secret`, default `<name>/slack-webhook`), not
created: its name is per project, so stages sharing an account share it, and its value never passes through
CloudFormation. Until it exists every message fails and waits in the queue.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.shared.lambda_function import SlipstreamFunction
from cdk.shared.nag import acknowledge
from cdk.shared.settings import DeploySettings

ASYNC_RETRIES = 2  # Lambda's maximum; tests/unit/monitoring/test_notifier_lambda.py assumes the same


class SlackNotifier(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        topic: sns.ITopic,
        dashboard_url: str,
    ) -> None:
        super().__init__(scope, construct_id)
        monitoring = settings.config.monitoring
        self.secret_name = monitoring.secret_name(settings.config.name)
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),  # SQS's maximum: time to fix the webhook and replay
        )
        environment = {"SLACK_WEBHOOK_SECRET": self.secret_name, "DASHBOARD_URL": dashboard_url}
        if monitoring.runbook_url:
            environment["RUNBOOK_URL"] = monitoring.runbook_url
        self.fn = SlipstreamFunction(
            self,
            "Notifier",
            name="slack_notifier",
            description="Alarms and pipeline events to Slack",
            environment=environment,
            defaults=settings.lambda_defaults,
            slipstream_modules=("monitoring",),
            timeout_seconds=60,  # three Slack attempts of 5 s with back-off, plus a Retry-After of up to 10 s
        )
        self.fn.function.configure_async_invoke(
            retry_attempts=ASYNC_RETRIES,
            max_event_age=Duration.hours(1),
            on_failure=destinations.SqsDestination(self.dead_letters),
        )
        topic.add_subscription(subscriptions.LambdaSubscription(self.fn.function, dead_letter_queue=self.dead_letters))
        secret = secretsmanager.Secret.from_secret_name_v2(self, "Webhook", self.secret_name)
        secret.grant_read(self.fn.role)
        self._acknowledge()

    def _acknowledge(self) -> None:
        # The secret grant names `<name>-??????` (Secrets Manager's random suffix): no `*`, nothing to excuse.
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself the notifier's dead-letter queue (Lambda on-failure destination and the SNS "
            "subscription's redrive target).",
        )
        acknowledge(
            self.fn.function,
            "AwsSolutions-L1",
            "Python 3.11 on purpose: the project's Python version (pyproject requires-python) and the Powertools "
            "layer's build.",
        )
