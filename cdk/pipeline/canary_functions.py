"""The canary's Lambdas and alarms (`gate.promote = "canary"` only): CanaryCheck reads the alarms' states,
CanaryRecord rewrites the deployment record after the bake. Each role is granted only what it calls."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.pipeline.canary_alarms import CanaryAlarms
from cdk.shared.lambda_function import SlipstreamFunction
from cdk.shared.nag import acknowledge, acknowledge_grants
from cdk.shared.settings import DeploySettings


class CanaryFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        artifact_bucket: s3.IBucket,
        deployment_key: str,
    ) -> None:
        super().__init__(scope, construct_id)
        endpoint = settings.challenger_endpoint_name
        if endpoint is None:  # Config.challenger_weight is the canary's share, which is > 0
            raise ValueError("a canary needs the challenger endpoint name")
        self.endpoint = endpoint
        self.alarms = CanaryAlarms(self, "Alarms", settings=settings, endpoint=endpoint).alarms
        defaults = settings.lambda_defaults
        self.check = SlipstreamFunction(
            self,
            "CanaryCheck",
            name="canary_check",
            description="CanaryCheck: continue, promote or roll back the canary, from its alarms",
            environment={},
            defaults=defaults,
        )
        # DescribeAlarms on the canary's own alarms only (metric alarms allow resource-level permissions).
        self.check.role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:DescribeAlarms"], resources=[alarm.alarm_arn for alarm in self.alarms.values()]
            )
        )
        self.record = SlipstreamFunction(
            self,
            "CanaryRecord",
            name="canary_record",
            description="CanaryRecord: the deployment record after the canary's bake",
            environment={"DEPLOYMENT_URI": artifact_bucket.s3_url_for_object(deployment_key)},
            defaults=defaults,
        )
        artifact_bucket.grant_read(self.record.role, deployment_key)
        artifact_bucket.grant_put(self.record.role, deployment_key)
        for fn in (self.check, self.record):
            acknowledge_grants(fn.role, {})
            acknowledge(
                fn.function,
                "AwsSolutions-L1",
                "Python 3.11 on purpose: the project's Python version "
                "(pyproject requires-python) and the Powertools/pandas layers' build.",
            )
