"""SageMaker `.sync` tasks and training/processing jobs that really run (jobs.py), as the job's role."""

from __future__ import annotations

import contextvars
import threading
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent, FailureEventException
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from slipstream.local.stepfunctions import jobs
from slipstream.local.stepfunctions.moto_extensions import costs
from slipstream.local.stepfunctions.moto_extensions.core import json_safe
from slipstream.local.stepfunctions.moto_extensions.iam import authorize_role, client_as
from slipstream.local.stepfunctions.moto_extensions.switches import STRICT

# --- SageMaker: .sync tasks, jobs that run our scripts, endpoints that deploy and serve -----------------------

_JOBS = {
    "createTrainingJob": "TrainingJob",
    "createProcessingJob": "ProcessingJob",
    "createHyperParameterTuningJob": "HyperParameterTuningJob",  # moto_extensions/tuning_jobs.py runs it
}
_DESCRIBE = {"HyperParameterTuningJob": "describe_hyper_parameter_tuning_job"}  # others: describe_<kind>_job
_RULE_KIND = {"HyperParameterTuningJob": "TuningJob"}  # the managed rule's name: ...SageMakerTuningJobsRule
_PROCESSING_ENVIRONMENT: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "environment", default=None
)
OPTIMIZED_SAGEMAKER_ERROR = "SageMaker.AmazonSageMakerException"


class SageMakerTask(StateTaskServiceCallback):
    """moto rejects `sagemaker:*.sync` ("Unsupported sync callback procedure"). Step Functions calls
    Create*Job, then polls Describe*Job until the job ends, and names a failed call as its optimized
    integrations do (`_from_error`)."""

    def __init__(self) -> None:
        # WaitForTaskToken too: moto's .sync path calls interrupt_all() on a callback endpoint it creates only
        # for task-token integrations (otherwise: "'NoneType' object has no attribute 'interrupt_all'").
        super().__init__(supported_integration_patterns={ResourceCondition.Sync, ResourceCondition.WaitForTaskToken})

    def _validate_service_integration_is_supported(self) -> None:
        pass  # any SageMaker action; an unknown one fails at run time, as in the cloud

    def _client(self, part: Any, credentials: Any) -> Any:
        # Signed as the state machine's role (iam.py's boto_client_for, bound when iam.patch() ran), so the
        # strict account authorizes Create*/Describe* against its policy; moto's own would sign with a fixed key
        # that no policy checks.
        from slipstream.local.stepfunctions.moto_extensions import iam

        signed = getattr(iam, "boto_client_for", boto_client_for)
        return signed(region=part.region, service="sagemaker", state_credentials=credentials)

    def _eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):  # type: ignore[no-untyped-def]
        if self._is_sync() and STRICT["iam"]:
            self._managed_rule(env, resource_runtime_part.region, state_credentials.role_arn)
        client = self._client(resource_runtime_part, state_credentials)
        response = getattr(client, self._get_boto_service_action())(**normalised_parameters)
        response.pop("ResponseMetadata", None)
        env.stack.append(json_safe(response))

    def _build_sync_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials):  # type: ignore[no-untyped-def]
        env.stack.pop()  # the Create* response: the task's result is the final Describe*
        kind = _JOBS[self.resource.api_action]
        client = self._client(resource_runtime_part, state_credentials)
        describe = getattr(client, _DESCRIBE.get(kind, f"describe_{kind[:-3].lower()}_job"))
        name = normalised_parameters[f"{kind}Name"]

        def resolve() -> dict[str, Any] | None:
            costs.job_polled()
            job = json_safe(describe(**{f"{kind}Name": name}))
            job.pop("ResponseMetadata", None)
            if job[f"{kind}Status"] in ("InProgress", "Stopping"):
                return None
            if job[f"{kind}Status"] == "Completed":
                return job
            failed = StatesErrorNameType.StatesTaskFailed  # Cause: the final Describe*, as Step Functions gives
            raise FailureEventException(self._failure(env, failed.to_name(), to_json_str(job), StatesErrorName(failed)))

        return resolve

    def _is_sync(self) -> bool:
        return self.resource.condition == ResourceCondition.Sync and self.resource.api_action in _JOBS

    def _managed_rule(self, env: Any, region: str, role_arn: str) -> None:
        """A .sync job task waits on the EventBridge rule Step Functions manages for that job type: the role must
        be allowed to create and read it (events:PutTargets, PutRule, DescribeRule)."""
        from slipstream.local.strict.iam import AccessDenied, Request

        kind = _JOBS[self.resource.api_action]
        rule_kind = _RULE_KIND.get(kind, kind)
        rule = (
            f"arn:aws:events:{region}:{role_arn.split(':')[4]}:rule/StepFunctionsGetEventsForSageMaker{rule_kind}sRule"
        )
        try:
            for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule"):
                authorize_role(role_arn, "StepFunctions", Request(action, rule), region)
        except AccessDenied as denied:
            cause = f"'{role_arn}' is not authorized to create managed-rule. ({denied})"
            failed = StatesErrorNameType.StatesTaskFailed
            raise FailureEventException(self._failure(env, failed.to_name(), cause, StatesErrorName(failed))) from None

    def _failure(self, env: Any, error: str, cause: str, name: Any) -> FailureEvent:
        details = TaskFailedEventDetails(
            error=error, cause=cause, resource=self._get_sfn_resource(), resourceType=self._get_sfn_resource_type()
        )
        return FailureEvent(env, name, HistoryEventType.TaskFailed, EventDetails(taskFailedEventDetails=details))

    def _from_error(self, env, ex):  # type: ignore[no-untyped-def]
        """The optimized integrations name every service error `SageMaker.AmazonSageMakerException` (unlike
        the aws-sdk ones, `SageMaker.<Code>Exception`) and put the code in the Cause, as the AWS Java SDK
        message reads (aws/aws-step-functions-data-science-sdk-python#191)."""
        if not isinstance(ex, ClientError):
            return super()._from_error(env=env, ex=ex)
        error, status = ex.response["Error"], ex.response["ResponseMetadata"].get("HTTPStatusCode", 400)
        cause = (
            f"{error.get('Message', '')} (Service: AmazonSageMaker; Status Code: {status}; "
            f"Error Code: {error['Code']}; Request ID: {ex.response['ResponseMetadata'].get('RequestId', '')})"
        )
        return self._failure(env, OPTIMIZED_SAGEMAKER_ERROR, cause, CustomErrorName(OPTIMIZED_SAGEMAKER_ERROR))


def _sagemaker_sync_tasks() -> None:
    original = state_task_factory.state_task_service_for
    state_task_factory.state_task_service_for = lambda service_name: (
        SageMakerTask() if service_name == "sagemaker" else original(service_name)
    )


def _sagemaker_jobs_run_our_scripts() -> None:
    """moto marks every job Completed at once and runs nothing. Ours start InProgress and run train.py /
    evaluate.py (jobs.py, on slipstream.local.sagemaker) in a thread against moto S3, then end Completed or
    Failed with SageMaker's FailureReason, so later states read a real model.tar.gz and evaluation.json."""
    create_training, create_processing = (
        SageMakerModelBackend.create_training_job,
        SageMakerModelBackend.create_processing_job,
    )

    def create_training_job(self, **kwargs):  # type: ignore[no-untyped-def]
        job = create_training(self, **kwargs)
        request = {
            "TrainingJobName": kwargs["training_job_name"],
            "AlgorithmSpecification": kwargs.get("algorithm_specification") or {},
            "HyperParameters": kwargs.get("hyper_parameters") or {},
            "InputDataConfig": kwargs.get("input_data_config") or [],
            "OutputDataConfig": kwargs["output_data_config"],
            "RoleArn": kwargs["role_arn"],
            "VolumeKmsKeyId": (kwargs.get("resource_config") or {}).get("VolumeKmsKeyId"),
            "OutputKmsKeyId": kwargs["output_data_config"].get("KmsKeyId"),
        }
        job.secondary_status = "Training"
        _start_job(self.region_name, job, "training_job", jobs.run_training, request)
        return job

    def create_processing_job(self, **kwargs):  # type: ignore[no-untyped-def]
        job = create_processing(self, **kwargs)
        request = {
            "Environment": _PROCESSING_ENVIRONMENT.get(),
            "AppSpecification": kwargs["app_specification"],
            "ProcessingInputs": kwargs.get("processing_inputs") or [],
            "ProcessingOutputConfig": kwargs.get("processing_output_config") or {},
            "RoleArn": kwargs["role_arn"],
            "VolumeKmsKeyId": ((kwargs.get("processing_resources") or {}).get("ClusterConfig") or {}).get(
                "VolumeKmsKeyId"
            ),
            "OutputKmsKeyId": (kwargs.get("processing_output_config") or {}).get("KmsKeyId"),
        }
        _start_job(self.region_name, job, "processing_job", jobs.run_processing, request)
        return job

    # moto's response handler drops the request's Environment before the backend sees it: keep it for the job.
    respond = SageMakerResponse.create_processing_job

    def create_processing_job_response(self):  # type: ignore[no-untyped-def]
        token = _PROCESSING_ENVIRONMENT.set(self._get_param("Environment"))
        try:
            return respond(self)
        finally:
            _PROCESSING_ENVIRONMENT.reset(token)

    SageMakerModelBackend.create_training_job = create_training_job
    SageMakerModelBackend.create_processing_job = create_processing_job
    SageMakerResponse.create_processing_job = create_processing_job_response


def _start_job(region: str, job: Any, kind: str, run: Any, request: dict[str, Any]) -> None:
    import tempfile
    from pathlib import Path

    setattr(job, f"{kind}_status", "InProgress")

    def target() -> None:
        from slipstream.local.strict.iam import AccessDenied

        workdir = Path(tempfile.mkdtemp(prefix=f"slipstream-{kind.replace('_', '-')}-"))
        try:  # SageMaker works as the execution role: it encrypts the volume, reads inputs, writes outputs
            _volume_grant(request, region)
            outcome = run(request, workdir, client_as(request["RoleArn"], "s3", region, "SageMaker"))
        except jobs.JobError as error:
            outcome = jobs.JobOutcome("Failed", str(error))
        except AccessDenied as error:
            outcome = jobs.JobOutcome("Failed", f"ClientError: {error}")
        except ClientError as error:  # what the execution role may not read or write
            outcome = jobs.JobOutcome("Failed", f"ClientError: Data transfer failed: {error}")
        except Exception as error:  # an emulation bug must still end the job, never hang the execution
            outcome = jobs.JobOutcome("Failed", f"InternalServerError: {type(error).__name__}: {error}")
        job.workdir = str(workdir)  # shows up in Describe*Job as "Workdir": where the logs are
        job.failure_reason, job.exit_message = outcome.failure_reason, outcome.exit_message
        if kind == "training_job":
            job.secondary_status = outcome.status
        job.last_modified_time = datetime.now(UTC)
        setattr(job, f"{kind}_status", outcome.status)
        costs.job_ended()

    threading.Thread(target=target, daemon=True, name=f"sagemaker-{kind}").start()


def _volume_grant(request: dict[str, Any], region: str) -> None:
    """An encrypted ML volume: SageMaker creates a grant on the key for the instance, as the execution role."""
    key = request.get("VolumeKmsKeyId")
    if not key or not STRICT["iam"]:
        return
    from slipstream.local.strict.iam import Request

    context = {"kms:grantisforawsresource": ["true"], "kms:viaservice": [f"sagemaker.{region}.amazonaws.com"]}
    authorize_role(request["RoleArn"], "SageMaker", Request("kms:CreateGrant", key, context), region)


def patch() -> None:
    """Apply this module's patches to moto (once: `moto_extensions.install` guards it)."""
    _sagemaker_sync_tasks()
    _sagemaker_jobs_run_our_scripts()
