"""Notifications: the SNS topic the pipeline reports success and failure to. The monitoring stack adds alarms
and the Slack notifier as subscribers."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from cdk.shared.settings import DeploySettings


class NotificationsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploySettings, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # A key of its own: its policy must admit CloudWatch alarms, which the data key should not.
        key = kms.Key(
            self,
            "TopicKey",
            description=f"{settings.prefix}: pipeline and alarm notifications",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.topic = sns.Topic(
            self,
            "PipelineEvents",
            display_name=f"Slipstream {settings.prefix} pipeline",
            master_key=key,
            enforce_ssl=True,
        )
        for email in settings.stage.notification_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        # CloudWatch alarms (monitoring stack) publish through the same encrypted topic.
        self.topic.grant_publish(iam.ServicePrincipal("cloudwatch.amazonaws.com"))
        self.key = key
