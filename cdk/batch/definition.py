"""The batch state machine: EventBridge's S3 "Object Created" event in, the champion's scores beside it out.

Locate (a Lambda: the event's key decoded, the output folder named by the whole relative key; batch_keys.py) ->
ShouldScore (folder markers and results are ignored; a file of another type is refused without a job) ->
ReadDeployment (the record the predict Lambda routes by) -> HasChampion -> DescribeChampion (its model package's
ModelDataUrl, the retained models/<run id>/model.tar.gz) -> WriteManifest (the job's input names exactly the one
object: an S3 prefix would also take `x.csv.bak` beside `x.csv`) -> Score (the processing job) -> ReadSummary ->
NotifyScored. Any error -> NotifyBatchFailed -> Fail.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from cdk.pipeline.common import (
    LAMBDA_TRANSIENT,
    S3_TRANSIENT,
    SAGEMAKER_OPTIMIZED_TRANSIENT,
    SAGEMAKER_TRANSIENT,
    SNS_TRANSIENT,
    Guard,
)
from cdk.pipeline.instances import processing_instance_type
from cdk.shared.processing_job import ProcessingJob, processing_state, s3_input, s3_output
from cdk.shared.settings import DeploySettings
from slipstream import batch_job
from slipstream.batch_keys import MANIFEST_PREFIX
from slipstream.job_arguments import CODE_DIR, processing_path
from slipstream.job_commands import BATCH_ENTRYPOINT
from slipstream.layout import CONTRACT_KEY, DEPLOYMENT_KEY

JSON = sfn.JsonPath
# The EventBridge envelope the Locate function parses (Powertools' S3EventNotificationEventBridgeModel).
EVENT_FIELDS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")
KEY = "$.detail.object.key"  # as S3 wrote it into the event: form-encoded; $.batch.key is the decoded key


@dataclass(frozen=True)
class BatchParts:
    scope: Stack
    settings: DeploySettings
    data_bucket: s3.IBucket
    artifact_bucket: s3.IBucket
    key: kms.IKey
    topic: sns.ITopic
    locate_fn: lambda_.IFunction
    job_role: iam.IRole
    image_uri: str
    sourcedir_uri: str
    job_prefix: str  # processing jobs are `<job prefix>-batch-<uuid>`

    def model_package_arn(self, version: str = "*") -> str:
        group = self.settings.model_package_group.lower()
        return self.scope.format_arn(service="sagemaker", resource="model-package", resource_name=f"{group}/{version}")


def build_definition(parts: BatchParts) -> sfn.IChainable:
    failed = sfn.Fail(parts.scope, "BatchFailed", cause="Batch scoring failed; see the notification", error="Failed")
    # `batch` marks the message as a batch run's for the Slack notifier (slipstream/monitoring/alarm.py).
    batch = {"input_prefix": parts.settings.config.batch.input_prefix}
    fields = {"status": "failed", "error": JSON.object_at("$.error"), "batch": batch}
    on_failure = _publish(parts, "NotifyBatchFailed", "batch scoring failed", fields, on_error=failed).next(failed)
    guard = Guard(on_failure=on_failure)
    # Before Locate has decoded the key there is only the event's: said as such (`event_key`), never as `file`.
    unlocated = {**fields, "event_key": JSON.string_at(KEY)}
    locate_failed = _publish(parts, "NotifyLocateFailed", "batch scoring failed", unlocated, on_error=failed, file=None)
    locate = Guard(on_failure=locate_failed.next(failed))(
        tasks.LambdaInvoke(
            parts.scope,
            "Locate",
            lambda_function=parts.locate_fn,
            payload=sfn.TaskInput.from_object({name: JSON.object_at(f"$.{name}") for name in EVENT_FIELDS}),
            payload_response_only=True,
            retry_on_service_exceptions=False,
            result_path="$.batch",
        ),
        LAMBDA_TRANSIENT,
    )
    refused = sfn.Pass(
        parts.scope,
        "NotAFileToScore",
        parameters={"Error": "NotAFileToScore", "Cause.$": "$.batch.reason"},
        result_path="$.error",
    ).next(on_failure)
    no_champion = sfn.Pass(
        parts.scope,
        "NoChampion",
        parameters={"Error": "NoChampion", "Cause": "No champion is deployed yet: nothing to score with."},
        result_path="$.error",
    ).next(on_failure)
    has_champion = (
        sfn.Choice(parts.scope, "HasChampion")
        .when(sfn.Condition.is_present("$.deployment.document.champion.version"), _champion_and_score(parts, guard))
        .otherwise(no_champion)
    )
    should_score = (
        sfn.Choice(parts.scope, "ShouldScore")
        .when(sfn.Condition.string_equals("$.batch.action", "score"), _read_deployment(parts, guard).next(has_champion))
        .when(sfn.Condition.string_equals("$.batch.action", "refuse"), refused)
        .otherwise(sfn.Succeed(parts.scope, "Ignored", comment="Not a file to score: the reason is in $.batch"))
    )
    return locate.next(should_score)


def _champion_and_score(parts: BatchParts, guard: Guard) -> sfn.IChainable:
    describe = tasks.CallAwsService(
        parts.scope,
        "DescribeChampion",
        service="sagemaker",
        action="describeModelPackage",
        parameters={
            "ModelPackageName": JSON.format(
                parts.model_package_arn("{}"), JSON.string_at("$.deployment.document.champion.version")
            )
        },
        iam_resources=[parts.model_package_arn()],
        result_selector={
            "model_data.$": "$.InferenceSpecification.Containers[0].ModelDataUrl",
            "version.$": "States.Format('{}', $.ModelPackageVersion)",
        },
        result_path="$.champion",
    )
    guard(describe, SAGEMAKER_TRANSIENT)
    locate_output = sfn.Pass(
        parts.scope,
        "LocateOutput",
        parameters={"folder.$": "$.batch.output_folder", "summary_key.$": "$.batch.summary_key"},
        result_path="$.output",
    )
    manifest = _write_manifest(parts, guard)
    score = guard(_score(parts), SAGEMAKER_OPTIMIZED_TRANSIENT)
    summary = _read_summary(parts, guard)
    scored = {
        "status": "scored",
        "batch": {
            "input": JSON.string_at("$.batch.input"),
            "output": JSON.string_at("$.output.folder"),
            "model_version": JSON.string_at("$.champion.version"),
            "job": JSON.string_at("$.job.job_name"),
            "summary": JSON.object_at("$.summary.document"),
        },
    }
    notify = _publish(parts, "NotifyScored", "batch scored", scored, on_error=guard.on_failure)
    return (
        describe.next(locate_output)
        .next(manifest)
        .next(score)
        .next(summary)
        .next(notify)
        .next(sfn.Succeed(parts.scope, "Scored"))
    )


def _score(parts: BatchParts) -> sfn.CustomState:
    batch = parts.settings.config.batch
    inputs = [
        s3_input(batch_job.DATA, processing_path(batch_job.DATA), uri_path="$.batch.manifest_uri", manifest=True),
        s3_input(batch_job.MODEL, processing_path(batch_job.MODEL), uri_path="$.champion.model_data"),
        s3_input(
            batch_job.CONTRACT,
            processing_path(batch_job.CONTRACT),
            uri=parts.artifact_bucket.s3_url_for_object(CONTRACT_KEY),
        ),
        s3_input("code", CODE_DIR, uri=parts.sourcedir_uri),
    ]
    job = ProcessingJob(
        name={"ProcessingJobName.$": f"States.Format('{parts.job_prefix}-batch-{{}}', States.UUID())"},
        role_arn=parts.job_role.role_arn,
        image_uri=parts.image_uri,
        entrypoint=BATCH_ENTRYPOINT,
        arguments={"ContainerArguments": batch_job.processing_arguments(batch)},
        inputs={"ProcessingInputs": inputs},
        outputs=[s3_output(batch_job.SCORES, processing_path(batch_job.SCORES), uri_path="$.output.folder")],
        instance_type=processing_instance_type(parts.settings.stage_name, parts.settings.stage),
        key_arn=parts.key.key_arn,
        max_runtime_seconds=6 * 3600,
        volume_gb=batch.volume_gb,
        # inference.py's model_fn reads the version the endpoint's model is registered as from here, too.
        environment={"SLIPSTREAM_MODEL_VERSION.$": "$.champion.version"},
    )
    return processing_state(
        parts.scope,
        "Score",
        job,
        result_selector={"job_name.$": "$.ProcessingJobName", "status.$": "$.ProcessingJobStatus"},
        result_path="$.job",
    )


def _write_manifest(parts: BatchParts, guard: Guard) -> sfn.TaskStateBase:
    """The ManifestFile naming the one object to score (batch_keys.py), where the job's input reads it."""
    bucket = parts.artifact_bucket
    task = tasks.CallAwsService(
        parts.scope,
        "WriteManifest",
        service="s3",
        action="putObject",
        parameters={
            "Bucket": bucket.bucket_name,
            "Key": JSON.string_at("$.batch.manifest_key"),
            "Body": JSON.string_at("$.batch.manifest"),
            "ContentType": "application/json",
        },
        iam_resources=[bucket.arn_for_objects(f"{MANIFEST_PREFIX}*")],
        iam_action="s3:PutObject",
        additional_iam_statements=[iam.PolicyStatement(actions=["kms:GenerateDataKey"], resources=[parts.key.key_arn])],
        result_path=JSON.DISCARD,
    )
    return guard(task, S3_TRANSIENT)


def _read_deployment(parts: BatchParts, guard: Guard) -> sfn.TaskStateBase:
    bucket = parts.artifact_bucket
    return _get_json(parts, guard, "ReadDeployment", bucket, DEPLOYMENT_KEY, bucket.arn_for_objects(DEPLOYMENT_KEY))


def _read_summary(parts: BatchParts, guard: Guard) -> sfn.TaskStateBase:
    bucket, output = parts.data_bucket, parts.settings.config.batch.output_prefix
    key = JSON.string_at("$.output.summary_key")
    return _get_json(parts, guard, "ReadSummary", bucket, key, bucket.arn_for_objects(f"{output}*"))


def _get_json(
    parts: BatchParts, guard: Guard, state_id: str, bucket: s3.IBucket, key: str, resource: str
) -> sfn.TaskStateBase:
    """s3:GetObject of a JSON document (the key fixed or a JSONPath), parsed into the state as `document`."""
    task = tasks.CallAwsService(
        parts.scope,
        state_id,
        service="s3",
        action="getObject",
        parameters={"Bucket": bucket.bucket_name, "Key": key},
        iam_resources=[resource],
        iam_action="s3:GetObject",
        additional_iam_statements=[iam.PolicyStatement(actions=["kms:Decrypt"], resources=[parts.key.key_arn])],
        result_selector={"document.$": "States.StringToJson($.Body)"},
        result_path=f"$.{state_id.removeprefix('Read').lower()}",
    )
    return guard(task, S3_TRANSIENT)


def _publish(
    parts: BatchParts,
    state_id: str,
    subject: str,
    fields: dict,
    on_error: sfn.IChainable,
    file: str | None = "$.batch.key",
) -> sfn.TaskStateBase:
    """`file`: the decoded key Locate wrote (S3's event holds it form-encoded: `my+file%2B1.csv`)."""
    message = {
        "project": parts.settings.config.name,
        "stage": parts.settings.stage_name,
        "execution": JSON.execution_id,
        **({"file": JSON.string_at(file)} if file else {}),
        **fields,
    }
    task = tasks.SnsPublish(
        parts.scope,
        state_id,
        topic=parts.topic,
        subject=f"[{parts.settings.prefix}] {subject}",
        message=sfn.TaskInput.from_object(message),
        result_path=JSON.DISCARD,
    )
    task.add_retry(errors=SNS_TRANSIENT, max_attempts=3, interval=Duration.seconds(2))
    task.add_catch(on_error, errors=["States.ALL"], result_path="$.error")
    return task
