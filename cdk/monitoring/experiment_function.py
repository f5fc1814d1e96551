"""The experiment Lambda (lambdas/experiment): the running A/B test's result, every hour and on demand.

Reads the capture stream's objects and the feedback table (as drift does), the deployment record; publishes
`Slipstream` Experiment* metrics (the dashboard's experiment widgets) and posts decisions on the notifications
topic. With `auto_decide`, and when a person runs `slipstream experiment promote|stop --stage`, it ends the
experiment: the champion endpoint takes the challenger's config (promote), the record and the package follow,
the challenger endpoint is deleted. Built only when `gate.promote = "challenger"`.

IAM, exactly what it calls: ListBucket (capture prefix only) and GetObject on the capture objects, GetObject
and PutObject on the record, the storage key's Decrypt/GenerateDataKey; Scan on the feedback table; Publish
on the topic (and its key); DescribeEndpoint on both endpoints, UpdateEndpoint on the champion
endpoint with this stage's endpoint configs, DeleteEndpoint on the challenger endpoint, UpdateModelPackage on
this stage's package versions; the keys' data-key rights those need.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk.serving.feedback_store import FeedbackStore
from cdk.shared.lambda_function import SlipstreamFunction, pandas_layer
from cdk.shared.nag import acknowledge, acknowledge_grants
from cdk.shared.settings import DeploySettings
from slipstream.documents.experiment import ExperimentRequest
from slipstream.layout import DEPLOYMENT_KEY

TIMEOUT_SECONDS = 900  # a promotion waits for the champion endpoint's update (minutes, serverless)


class ExperimentFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        artifact_bucket: s3.IBucket,
        capture_prefix: str,
        feedback: FeedbackStore,
        topic: sns.ITopic,
        artifact_ref: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stage, challenger = settings.stage, settings.challenger_endpoint_name
        assert challenger, "the experiment Lambda exists only with a challenger endpoint"
        stack = Stack.of(self)

        def arn(resource: str, name: str) -> str:
            return stack.format_arn(service="sagemaker", resource=resource, resource_name=name.lower())

        self.fn = SlipstreamFunction(
            self,
            "Experiment",
            name="experiment",
            description="Experiment: the A/B test's result as metrics and a decision; promote or stop",
            environment={
                "SLIPSTREAM_CONFIG": settings.config.model_dump_json(),
                "STAGE": settings.stage_name,
                "CAPTURE_BUCKET": artifact_bucket.bucket_name,
                "CAPTURE_PREFIX": capture_prefix,
                "DEPLOYMENT_URI": artifact_bucket.s3_url_for_object(DEPLOYMENT_KEY),
                "FEEDBACK_TABLE": feedback.table.table_name,
                "TOPIC_ARN": topic.topic_arn,
                "CHAMPION_ENDPOINT": settings.endpoint_name,
                "CHALLENGER_ENDPOINT": challenger,
                "MODEL_PACKAGE_PREFIX": arn("model-package", settings.model_package_group),
            },
            defaults=settings.lambda_defaults,
            extra_layers=[pandas_layer(self, stage.pandas_layer_arn)],
            slipstream_modules=("monitoring", "experiment", "warehouse"),
            memory_mb=2048,
            timeout_seconds=TIMEOUT_SECONDS,
            # Two runs at once could both promote: one at a time (a scheduled run and a person's promote).
            reserved_concurrency=1,
        )
        role = self.fn.role
        self.fn.function.configure_async_invoke(retry_attempts=0, max_event_age=Duration.hours(1))
        key = artifact_bucket.encryption_key
        assert key is not None, "the artifact bucket is SSE-KMS"
        statements = (
            # Listing finds the capture objects of the window: only under the capture prefix.
            (["s3:ListBucket"], [artifact_bucket.bucket_arn], {"StringLike": {"s3:prefix": [f"{capture_prefix}*"]}}),
            (["s3:GetObject"], [artifact_bucket.arn_for_objects(f"{capture_prefix}*")], None),
            (["s3:GetObject", "s3:PutObject"], [artifact_bucket.arn_for_objects(DEPLOYMENT_KEY)], None),
            # SSE-KMS with the bucket key: reading decrypts, writing the record asks for a data key.
            (["kms:Decrypt", "kms:GenerateDataKey"], [key.key_arn], None),
        )
        for actions, resources, condition in statements:
            role.add_to_policy(iam.PolicyStatement(actions=actions, resources=resources, conditions=condition))
        feedback.grant_scan(role)
        topic.grant_publish(role)
        configs = arn("endpoint-config", f"{settings.job_prefix}-*")
        champion_arn, challenger_arn = arn("endpoint", settings.endpoint_name), arn("endpoint", challenger)
        packages = arn("model-package", f"{settings.model_package_group}/*")
        for actions, resources in (
            (["sagemaker:DescribeEndpoint"], [champion_arn, challenger_arn]),
            (["sagemaker:UpdateEndpoint"], [champion_arn, configs]),
            (["sagemaker:DeleteEndpoint"], [challenger_arn]),
            (["sagemaker:UpdateModelPackage"], [packages]),
        ):
            role.add_to_policy(iam.PolicyStatement(actions=actions, resources=resources))
        schedule = settings.config.monitoring.schedule
        events.Rule(
            self,
            "Schedule",
            description="The running experiment's result (and, with auto_decide, its end)",
            schedule=events.Schedule.expression(schedule),
            targets=[
                targets.LambdaFunction(
                    self.fn.function,
                    event=events.RuleTargetInput.from_object(ExperimentRequest(action="analyse").model_dump()),
                    retry_attempts=2,
                    max_event_age=Duration.hours(1),
                )
            ],
        )
        self._acknowledge(settings, artifact_ref, capture_prefix)

    def _acknowledge(self, settings: DeploySettings, artifact_ref: str, capture_prefix: str) -> None:
        sagemaker_arn = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
        packages = f"model-package/{settings.model_package_group.lower()}/*"
        configs = f"endpoint-config/{settings.job_prefix.lower()}-*"
        acknowledge_grants(
            self.fn.role,
            {
                f"{artifact_ref}/{capture_prefix}*": "Firehose names capture objects by hour and a random suffix.",
                f"{sagemaker_arn}:{packages}": "The challenger's version is known only at run "
                "time; versions of this stage's group only.",
                f"{sagemaker_arn}:{configs}": "A promotion points the champion endpoint at the "
                "challenger's config, named by its run id; this stage's configs only.",
            },
        )
        acknowledge(
            self.fn.function,
            "AwsSolutions-L1",
            "Python 3.11 on purpose: the project's Python version and the Powertools/AWS SDK for pandas layers' build.",
        )
