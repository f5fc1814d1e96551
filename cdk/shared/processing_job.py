"""One builder of a SageMaker processing job state, for every job the stacks run (ValidateDataJob, Evaluate, the
batch scorer).

CDK has no task for CreateProcessingJob, so each is a CustomState on the optimized `.sync` integration, and its
IAM statements (the ones CDK's own SageMaker tasks would add) are granted explicitly (processing_permissions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct


@dataclass(frozen=True)
class ProcessingJob:
    """The parts of a CreateProcessingJob request that differ between jobs. Keys ending in `.$` are JSONPaths."""

    name: dict[str, str]  # {"ProcessingJobName.$": ...}
    role_arn: str
    image_uri: str
    entrypoint: list[str]
    arguments: dict[str, Any]  # {"ContainerArguments.$": ...} or {"ContainerArguments": [...]}
    inputs: dict[str, Any]  # {"ProcessingInputs.$": ...} or {"ProcessingInputs": [...]}
    outputs: list[dict[str, Any]]
    instance_type: str
    key_arn: str
    volume_gb: int = 10
    max_runtime_seconds: int = 3600
    environment: dict[str, str] = field(default_factory=dict)  # besides OMP_NUM_THREADS; `.$` keys are JSONPaths


def processing_state(
    scope: Construct, state_id: str, job: ProcessingJob, *, result_selector: dict[str, str], result_path: str
) -> sfn.CustomState:
    partition = Stack.of(scope).partition
    return sfn.CustomState(
        scope,
        state_id,
        state_json={
            "Type": "Task",
            "Resource": f"arn:{partition}:states:::sagemaker:createProcessingJob.sync",
            "Parameters": {
                **job.name,
                "RoleArn": job.role_arn,
                "AppSpecification": {"ImageUri": job.image_uri, "ContainerEntrypoint": job.entrypoint, **job.arguments},
                "Environment": {"OMP_NUM_THREADS": "1", **job.environment},
                **job.inputs,
                "ProcessingOutputConfig": {"KmsKeyId": job.key_arn, "Outputs": job.outputs},
                "ProcessingResources": {
                    "ClusterConfig": {
                        "InstanceCount": 1,
                        "InstanceType": job.instance_type,
                        "VolumeSizeInGB": job.volume_gb,
                        "VolumeKmsKeyId": job.key_arn,
                    }
                },
                "StoppingCondition": {"MaxRuntimeInSeconds": job.max_runtime_seconds},
            },
            "ResultSelector": result_selector,
            "ResultPath": result_path,
        },
    )


def s3_input(
    name: str, local_path: str, *, uri: str | None = None, uri_path: str | None = None, manifest: bool = False
) -> dict[str, Any]:
    """A ProcessingInput downloaded to `local_path` before the script starts: a fixed `uri` or a JSONPath; with
    `manifest`, the URI is a ManifestFile naming the objects (an S3Prefix takes every key it starts)."""
    data_type = "ManifestFile" if manifest else "S3Prefix"
    source: dict[str, Any] = {"LocalPath": local_path, "S3DataType": data_type, "S3InputMode": "File"}
    source.update({"S3Uri.$": uri_path} if uri_path else {"S3Uri": uri})
    return {"InputName": name, "S3Input": source}


def s3_output(name: str, local_path: str, *, uri: str | None = None, uri_path: str | None = None) -> dict[str, Any]:
    """A ProcessingOutput uploaded from `local_path` once the script has finished (EndOfJob): a fixed `uri` or a
    JSONPath."""
    destination: dict[str, Any] = {"S3Uri.$": uri_path} if uri_path else {"S3Uri": uri}
    return {"OutputName": name, "S3Output": {**destination, "LocalPath": local_path, "S3UploadMode": "EndOfJob"}}


def processing_permissions(scope: Construct, job_arn: str, role_arn: str) -> list[iam.PolicyStatement]:
    """What a state machine role needs to run, watch and stop processing jobs named like `job_arn` (.sync)."""
    stack = Stack.of(scope)
    return [
        iam.PolicyStatement(
            actions=[
                "sagemaker:CreateProcessingJob",
                "sagemaker:DescribeProcessingJob",
                "sagemaker:StopProcessingJob",
                "sagemaker:AddTags",
            ],
            resources=[job_arn],
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
            resources=[role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
    ]
