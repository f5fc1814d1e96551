"""Batch: the S3 trigger, the batch state machine and the role of its processing jobs (cdk/batch/definition.py).

A stack of its own, not part of the pipeline stack: it is deployed and torn down on its own, it adds no state
machine to the training pipeline's stack (whose one state machine the tools and the emulation look for), and its
processing jobs run as their own role that can touch the batch prefixes and nothing of the training runs.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.batch.definition import BatchParts, build_definition
from cdk.batch.role import batch_role
from cdk.pipeline.sklearn_image import sklearn_image_uri
from cdk.pipeline.sourcedir import SourceDir
from cdk.shared import naming
from cdk.shared.lambda_function import SlipstreamFunction, retention
from cdk.shared.nag import acknowledge, acknowledge_grants
from cdk.shared.processing_job import processing_permissions
from cdk.shared.settings import DeploySettings
from cdk.shared.storage_stack import StorageExports
from slipstream import batch_job
from slipstream.batch_keys import MANIFEST_PREFIX

UUID_LENGTH = 36  # States.UUID()
JOB_SUFFIX = "-batch-"


class BatchStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        storage: StorageExports,
        topic: sns.ITopic,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data_bucket, artifact_bucket, key = storage.import_into(self)
        batch = settings.config.batch
        sourcedir = SourceDir(self, "SourceDir").asset
        refs = (storage.name("data-bucket-arn"), storage.name("artifact-bucket-arn"))
        role = batch_role(
            self,
            batch=batch,
            data_bucket=data_bucket,
            artifact_bucket=artifact_bucket,
            key=key,
            sourcedir=sourcedir,
            refs=refs,
        )
        locate = SlipstreamFunction(
            self,
            "BatchLocate",
            name="batch_locate",
            description="Decodes a batch event's S3 key and names its output folder",
            environment={
                "INPUT_PREFIX": batch.input_prefix,
                "OUTPUT_PREFIX": batch.output_prefix,
                "SUMMARY_FILE": batch_job.SUMMARY_FILE,
                "MANIFEST_BUCKET": artifact_bucket.bucket_name,
            },
            defaults=settings.lambda_defaults,
            memory_mb=128,
            timeout_seconds=10,
            slipstream_modules=("batch_keys.py",),
        )
        acknowledge(
            locate.function,
            "AwsSolutions-L1",
            "Python 3.11 on purpose: the project's Python version and the Powertools layer's build.",
        )
        job_prefix = naming.bounded(settings.prefix, naming.SAGEMAKER - len(JOB_SUFFIX) - UUID_LENGTH)
        parts = BatchParts(
            scope=self,
            settings=settings,
            data_bucket=data_bucket,
            artifact_bucket=artifact_bucket,
            key=key,
            topic=topic,
            locate_fn=locate.function,
            job_role=role.without_policy_updates(),
            image_uri=sklearn_image_uri(self),
            sourcedir_uri=sourcedir.s3_object_url,
            job_prefix=job_prefix,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "BatchScoring",
            state_machine_name=f"{settings.prefix}-batch",
            definition_body=sfn.DefinitionBody.from_chainable(build_definition(parts)),
            timeout=Duration.hours(7),  # the job's own limit is 6 h
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=logs.LogGroup(
                    self,
                    "BatchLogs",
                    retention=retention(settings.stage.log_retention_days),
                    removal_policy=RemovalPolicy.DESTROY,
                ),
                level=sfn.LogLevel.ALL,
                include_execution_data=True,
            ),
        )
        job_arn = parts_arn(self, f"{job_prefix}{JOB_SUFFIX}*")
        for statement in processing_permissions(self, job_arn, role.role_arn):
            self.state_machine.add_to_role_policy(statement)
        if topic.master_key is not None:  # SNS encrypts each message with the topic's key as the publisher
            topic.master_key.grant(self.state_machine, "kms:Decrypt", "kms:GenerateDataKey*")
        events.Rule(
            self,
            "BatchInputRule",
            description="A file to score landed under the batch input prefix: score it with the champion",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [data_bucket.bucket_name]},
                    "object": {"key": [{"prefix": batch.input_prefix}]},
                },
            ),
            targets=[targets.SfnStateMachine(self.state_machine, retry_attempts=2, max_event_age=Duration.hours(1))],
        )
        locate_logical = self.get_logical_id(locate.function.node.default_child)  # type: ignore[arg-type]
        self._acknowledge(settings, refs, f"{job_prefix.lower()}{JOB_SUFFIX}*", locate_logical)
        CfnOutput(self, "BatchStateMachineArn", value=self.state_machine.state_machine_arn)

    def _acknowledge(self, settings: DeploySettings, refs: tuple[str, str], job_arn_reason: str, locate: str) -> None:
        sagemaker_arn = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
        group = settings.model_package_group.lower()
        acknowledge_grants(
            self.state_machine.role,
            {
                f"{sagemaker_arn}:processing-job/{job_arn_reason}": "Batch jobs are named with a UUID at run time.",
                f"{sagemaker_arn}:model-package/{group}/*": "The champion's version is known only at run time.",
                f"{refs[0]}/{settings.config.batch.output_prefix}*": "ReadSummary reads the summary.json of the "
                "folder named after the scored file.",
                f"{refs[1]}/{MANIFEST_PREFIX}*": "WriteManifest writes the manifest of the file being scored, "
                "named after it.",
                f"<{locate}.Arn>:*": "CDK LambdaInvoke grants the function and its versions/aliases.",
                "*": "No resource-level permissions exist for X-Ray tracing and the log-delivery calls behind "
                "state machine logging.",
            },
        )


def parts_arn(stack: Stack, name: str) -> str:
    return stack.format_arn(service="sagemaker", resource="processing-job", resource_name=name.lower())
