"""Evaluate: a SageMaker processing job running training/evaluate.py on the same scikit-learn image.

CDK has no task for CreateProcessingJob, so this is a CustomState on the optimized `.sync` integration,
and its IAM statements (the ones CDK's own SageMaker tasks would add) are granted here explicitly.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn

from cdk.pipeline.common import SAGEMAKER_OPTIMIZED_TRANSIENT
from cdk.pipeline.context import PipelineContext
from cdk.pipeline.instances import check_instance_type
from slipstream import job_arguments
from slipstream.job_commands import EVALUATION_ENTRYPOINT


def evaluate(ctx: PipelineContext) -> sfn.CustomState:
    stage = ctx.settings.stage
    state = sfn.CustomState(
        ctx.scope,
        "Evaluate",
        state_json={
            "Type": "Task",
            "Resource": f"arn:{Stack.of(ctx.scope).partition}:states:::sagemaker:createProcessingJob.sync",
            "Parameters": {
                "ProcessingJobName.$": ctx.name_of("-eval"),
                "RoleArn": ctx.sagemaker_role.role_arn,
                "AppSpecification": {
                    "ImageUri": ctx.image_uri,
                    "ContainerEntrypoint": EVALUATION_ENTRYPOINT,
                    "ContainerArguments.$": "$.evaluation_inputs.arguments",
                },
                "Environment": {"OMP_NUM_THREADS": "1"},
                "ProcessingInputs.$": "$.evaluation_inputs.inputs",
                "ProcessingOutputConfig": {
                    "KmsKeyId": ctx.key.key_arn,
                    "Outputs": [
                        {
                            "OutputName": job_arguments.EVALUATION,
                            "S3Output": {
                                "S3Uri.$": "$.paths.evaluation_output",
                                "LocalPath": job_arguments.processing_path(job_arguments.EVALUATION),
                                "S3UploadMode": "EndOfJob",
                            },
                        }
                    ],
                },
                "ProcessingResources": {
                    "ClusterConfig": {
                        "InstanceCount": 1,
                        "InstanceType": check_instance_type(
                            ctx.settings.stage_name,
                            "processing_instance_type",
                            stage.processing_instance_type,
                            "ProcessingInstanceType",
                        ),
                        "VolumeSizeInGB": 10,
                        "VolumeKmsKeyId": ctx.key.key_arn,
                    }
                },
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            },
            "ResultSelector": {"job_name.$": "$.ProcessingJobName", "status.$": "$.ProcessingJobStatus"},
            "ResultPath": "$.evaluation",
        },
    )
    ctx.guard(state, SAGEMAKER_OPTIMIZED_TRANSIENT)
    return state


def evaluate_permissions(ctx: PipelineContext) -> list[iam.PolicyStatement]:
    """What the state machine role needs to run, watch and stop processing jobs (the .sync pattern)."""
    stack = Stack.of(ctx.scope)
    return [
        iam.PolicyStatement(
            actions=[
                "sagemaker:CreateProcessingJob",
                "sagemaker:DescribeProcessingJob",
                "sagemaker:StopProcessingJob",
                "sagemaker:AddTags",
            ],
            resources=[ctx.arn("processing-job", f"{ctx.settings.job_prefix}-*")],
        ),
        # .sync waits on an EventBridge rule that Step Functions manages in our account.
        iam.PolicyStatement(
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[
                stack.format_arn(
                    service="events",
                    resource="rule",
                    resource_name="StepFunctionsGetEventsForSageMakerProcessingJobsRule",
                )
            ],
        ),
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[ctx.sagemaker_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
    ]
