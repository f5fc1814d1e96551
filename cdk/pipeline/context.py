"""Everything the state builders need, passed as one object so each builder stays a small function."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from pydantic import BaseModel

from cdk.pipeline.canary_functions import CanaryFunctions
from cdk.pipeline.common import LAMBDA_TRANSIENT, SAGEMAKER_TRANSIENT, Guard
from cdk.pipeline.payloads import Result, check_payload
from cdk.pipeline.results import RESULTS, RUN_ID
from cdk.shared.settings import DeploySettings
from slipstream import job_arguments
from slipstream.tuning_config import TuningMode


@dataclass(frozen=True)
class PipelineContext:
    scope: Stack
    settings: DeploySettings
    topic: sns.ITopic
    artifact_bucket: s3.IBucket
    key: kms.IKey
    sagemaker_role: iam.IRole
    image_uri: str
    sourcedir_uri: str
    validate_fn: lambda_.IFunction
    gate_fn: lambda_.IFunction
    smoke_fn: lambda_.IFunction
    record_fn: lambda_.IFunction
    # Retries, and the catch to NotifyFailure (definition.failure_path, built before the context) or to a
    # path that cleans up first (definition.py swaps it in for the deployment's states).
    guard: Guard
    canary: CanaryFunctions | None = None  # with `gate.promote = "canary"`: its Lambdas and alarms
    approval_fn: lambda_.IFunction | None = None  # with `approval = "manual"`: WaitForApproval's (approval.py)
    mlflow_fn: lambda_.IFunction | None = None  # with `mlflow_tracking_uri`: MLflow on AWS (cdk/pipeline/mlflow.py)
    validation_code_uri: str | None = None  # the ValidateData processing job's code (cdk/pipeline/validation_code.py)
    validation_role: iam.IRole | None = None  # the ValidateData processing job's own (cdk/pipeline/validation_role.py)

    def name_of(self, suffix: str = "") -> str:
        """States.Format template for per-run SageMaker names: `<job prefix>-<run id><suffix>`."""
        return sfn.JsonPath.format(f"{self.settings.job_prefix}-{{}}{suffix}", sfn.JsonPath.string_at(RUN_ID))

    def invoke(
        self,
        state_id: str,
        function: lambda_.IFunction,
        request: type[BaseModel],
        payload: dict[str, Any],
        result: Result,
    ) -> sfn.TaskStateBase:
        """A pipeline Lambda step: `payload` must build the Lambda's `request` document (checked now, at synth);
        its return value (not Lambda's envelope), a `result.model` document, lands at `result.path`. Transient
        Lambda errors are retried by the guard's policy (not CDK's default), any other error goes to failure."""
        check_payload(state_id, request, payload, RESULTS)
        task = tasks.LambdaInvoke(
            self.scope,
            state_id,
            lambda_function=function,
            payload=sfn.TaskInput.from_object(payload),
            payload_response_only=True,
            retry_on_service_exceptions=False,
            result_path=result.path,
        )
        return self.guard(task, LAMBDA_TRANSIENT)

    def arn(self, resource: str, name: str) -> str:
        """SageMaker ARNs use lower-case names."""
        return self.scope.format_arn(service="sagemaker", resource=resource, resource_name=name.lower())

    def training_hyperparameters(self, tuning_mode: TuningMode = "search") -> dict[str, str]:
        """CreateTrainingJob's HyperParameters: the script's (the same the local runner passes) and script mode's
        own, JSON-encoded the way the SageMaker Python SDK does it (slipstream/job_arguments.py). `trial`: a tuning
        job's static hyperparameters (cdk/pipeline/tuning.py)."""
        script = job_arguments.training_hyperparameters(self.settings.config, tuning_mode=tuning_mode).decoded()
        # The tokens are strings to json.dumps: it quotes them, CloudFormation fills them in.
        framework = job_arguments.framework_hyperparameters(submit_directory=self.sourcedir_uri, region=Aws.REGION)
        return job_arguments.sdk_encoded({**script, **framework})

    def serving_environment(self) -> dict[str, str]:
        """The scikit-learn serving container loads inference.py from the same sourcedir archive."""
        return {
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": self.sourcedir_uri,
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
            "SAGEMAKER_REGION": Aws.REGION,
            # HistGradientBoosting predicts single rows 4-10x slower with OpenMP threads (docs/performance.md#openmp).
            "OMP_NUM_THREADS": "1",
        }


def sagemaker_call(
    ctx: PipelineContext, state_id: str, action: str, parameters: dict, resources: list[str], **kwargs: Any
) -> sfn.TaskStateBase:
    """A SageMaker API call through the AWS SDK integration (`aws-sdk:sagemaker:<action>`), granted on
    `resources` only, retried on SageMaker's transient errors and caught by the guard like every other task.
    `kwargs` go to CallAwsService (result_selector, result_path, ...)."""
    task = tasks.CallAwsService(
        ctx.scope,
        state_id,
        service="sagemaker",
        action=action,
        parameters=parameters,
        iam_resources=resources,
        **kwargs,
    )
    return ctx.guard(task, SAGEMAKER_TRANSIENT)


def delete_endpoint(ctx: PipelineContext, state_id: str, endpoint: str) -> sfn.TaskStateBase:
    """DeleteEndpoint on `endpoint`, granted on it alone. Its configs and models stay: they cost nothing, and
    another endpoint may run the config by now."""
    return sagemaker_call(
        ctx,
        state_id,
        "deleteEndpoint",
        {"EndpointName": endpoint},
        [ctx.arn("endpoint", endpoint)],
        result_path=sfn.JsonPath.DISCARD,
    )
