"""Evaluate: a SageMaker processing job running training/evaluate.py on the same scikit-learn image
(the request's shape: cdk/shared/processing_job.py)."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn

from cdk.pipeline.common import SAGEMAKER_OPTIMIZED_TRANSIENT
from cdk.pipeline.context import PipelineContext
from cdk.pipeline.instances import processing_instance_type
from cdk.shared.processing_job import ProcessingJob, processing_permissions, processing_state, s3_output
from slipstream import job_arguments
from slipstream.job_commands import EVALUATION_ENTRYPOINT


def evaluate(ctx: PipelineContext) -> sfn.CustomState:
    job = ProcessingJob(
        name={"ProcessingJobName.$": ctx.name_of("-eval")},
        role_arn=ctx.sagemaker_role.role_arn,
        image_uri=ctx.image_uri,
        entrypoint=EVALUATION_ENTRYPOINT,
        arguments={"ContainerArguments.$": "$.evaluation_inputs.arguments"},
        inputs={"ProcessingInputs.$": "$.evaluation_inputs.inputs"},
        outputs=[
            s3_output(
                job_arguments.EVALUATION,
                job_arguments.processing_path(job_arguments.EVALUATION),
                uri_path="$.paths.evaluation_output",
            )
        ],
        instance_type=processing_instance_type(ctx.settings.stage_name, ctx.settings.stage),
        key_arn=ctx.key.key_arn,
    )
    state = processing_state(
        ctx.scope,
        "Evaluate",
        job,
        result_selector={"job_name.$": "$.ProcessingJobName", "status.$": "$.ProcessingJobStatus"},
        result_path="$.evaluation",
    )
    ctx.guard(state, SAGEMAKER_OPTIMIZED_TRANSIENT)
    return state


def evaluate_permissions(ctx: PipelineContext) -> list[iam.PolicyStatement]:
    """What the state machine role needs to run, watch and stop this stage's processing jobs (the .sync pattern)."""
    job_arn = ctx.arn("processing-job", f"{ctx.settings.job_prefix}-*")
    return processing_permissions(ctx.scope, job_arn, ctx.sagemaker_role.role_arn)
