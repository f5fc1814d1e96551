"""Shared by the pipeline's state builders: retries for transient errors, and the catch-all to NotifyFailure."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn

# Throttling and service hiccups worth retrying. Job failures (States.TaskFailed) are not: a failed
# training job fails the same way twice, and its name cannot be reused.
# Step Functions names a SageMaker error differently per integration, and ErrorEquals matches names exactly:
# - AWS SDK integrations (CallAwsService, `aws-sdk:sagemaker:*`) use `SageMaker.<Code>` with "Exception"
#   appended when the code lacks it (Step Functions developer guide, AWS SDK integrations), so the API's
#   InternalFailure / ServiceUnavailable arrive as `...Exception`, and `AmazonSageMakerException` never does.
SAGEMAKER_TRANSIENT = [
    "SageMaker.ThrottlingException",
    "SageMaker.InternalFailureException",
    "SageMaker.ServiceUnavailableException",
]
# - the optimized integrations (`sagemaker:createTrainingJob.sync`, `createProcessingJob.sync`, `createModel`)
#   report every service error as `SageMaker.AmazonSageMakerException`, the code only in the Cause (see
#   aws/aws-step-functions-data-science-sdk-python#191 and #162). That one name is the only way to retry their
#   throttling; it also matches errors that are not transient, which then fail the same way, ~1-2 min later.
SAGEMAKER_OPTIMIZED_TRANSIENT = ["SageMaker.AmazonSageMakerException"]
LAMBDA_TRANSIENT = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
# S3's retryable codes (SlowDown, InternalError, ServiceUnavailable), named the AWS SDK integration's way.
S3_TRANSIENT = ["S3.SlowDownException", "S3.InternalErrorException", "S3.ServiceUnavailableException"]
SNS_TRANSIENT = ["SNS.ThrottledException", "SNS.InternalErrorException", "SNS.KMSThrottlingException"]


@dataclass(frozen=True)
class Guard:
    """Gives every task the same retry policy and routes any error to NotifyFailure (error in `$.error`)."""

    on_failure: sfn.IChainable

    def __call__(self, task: sfn.TaskStateBase | sfn.CustomState, errors: list[str]) -> sfn.TaskStateBase:
        task.add_retry(
            errors=errors,
            interval=Duration.seconds(5),
            max_attempts=4,
            backoff_rate=2.0,
            max_delay=Duration.minutes(2),
            jitter_strategy=sfn.JitterType.FULL,
        )
        task.add_catch(self.on_failure, errors=["States.ALL"], result_path="$.error")
        return task  # type: ignore[return-value]
