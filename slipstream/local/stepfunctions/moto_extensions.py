"""What moto 5.2.5 lacks to run our synthesized state machine, added in ONE module.

This is the only module that touches moto internals (private classes, backends, module attributes); that is
why pyproject pins moto exactly (`moto[all]==5.2.5`): re-check every patch below when moving the pin. It sits
in slipstream/local, not tests/, because `slipstream run --engine stepfunctions` runs on it as well as
tests/statemachine (which stays thin). `install()` is idempotent; the patches are inert outside `mock_aws`.
The work itself (running handlers, jobs, model containers) lives in handlers.py, jobs.py, hosting.py and
slipstream/local/strict: no moto there.
One file on purpose, longer than our usual ~200 lines: every moto touch point is in this one place.
"""

from __future__ import annotations

import json
import pickle
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.models import botocore_stubber
from moto.core.responses import BaseResponse
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent, FailureEventException
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_aws_sdk
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from slipstream.local.stepfunctions import hosting, jobs
from slipstream.local.stepfunctions.handlers import LambdaContext, invoke_handler
from slipstream.local.strict import model_packages, params, serverless
from slipstream.local.strict.serverless import HostedEndpoint, ServerlessLimits

# Execution on; Lambda's Docker-free backend, whose invoke we route to our handlers in process.
# AWS managed policies loaded: the synthesized roles attach some (AWSLambdaBasicExecutionRole).
MOTO_CONFIG = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
    "iam": {"load_aws_managed_policies": True},
}
# Wait states (30 s between endpoint polls) and retry back-off take `scale` times as long; 1.0 is real time.
CLOCK = {"scale": 1.0}
INDEFINITE = re.compile(r"\*|\[\?\(|\[-?\d*:-?\d*\]|\.\.")  # wildcard, filter, slice, deep scan
SERVICE_NAMES = {"sagemaker": "SageMaker", "lambda": "Lambda", "s3": "S3", "sns": "SNS", "sfn": "Sfn"}


@dataclass
class Fault:
    code: str
    message: str
    status: int
    skip: int = 0  # calls to let through before this one fails


@dataclass
class Faults:
    """Errors answered instead of calling an action once: `FAULTS.add("sagemaker", "CreateTrainingJob", ...)`.
    ("sagemaker", "HostEndpoint") is not an API action: it makes the next endpoint deployment fail to start.
    `skip=n` lets n calls through first (e.g. the deployment a rollback makes, after the new model's own)."""

    planned: dict[tuple[str, str], list[Fault]] = field(default_factory=dict)

    def add(
        self, service: str, action: str, code: str, message: str = "injected", status: int = 400, skip: int = 0
    ) -> None:
        self.planned.setdefault((service, action), []).append(Fault(code, message, status, skip))

    def take(self, service: str, action: str) -> Fault | None:
        queue = self.planned.get((service, action))
        if not queue:
            return None
        if queue[0].skip:
            queue[0].skip -= 1
            return None
        return queue.pop(0)

    def clear(self) -> None:
        self.planned.clear()


FAULTS = Faults()
_LOCK = threading.Lock()
_INSTALLED: list[bool] = []
# The strict checks in force while a mock_aws account is active: parameters (strict/params.py) and IAM/KMS.
STRICT = {"params": True, "iam": True}


def install() -> None:
    install_strict_checks()
    with _LOCK:
        if _INSTALLED:
            return
        _lambda_runs_our_handlers()
        _sagemaker_sync_tasks()
        _sagemaker_jobs_run_our_scripts()
        _endpoints_that_deploy_and_serve()
        _approval_keeps_metadata()
        _only_approved_packages_deploy()
        _aws_sdk_like_step_functions()
        _filters_that_match_nothing_are_empty()
        _definite_paths_are_values()
        _lambda_service_errors_named()
        _scaled_clock()
        _planned_faults()
        _state_machine_signs_its_calls()
        _every_call_authorized()
        _rules_deliver_to_lambda()
        _INSTALLED.append(True)


def install_strict_checks() -> None:
    """The strict checks of slipstream/local/strict for every boto3/botocore call made while mock_aws is active.

    Registered the way moto registers its own `before-send` stubber: in botocore's BUILTIN_HANDLERS, which every
    botocore session created afterwards registers, so it reaches every client, including those of moto's
    Step Functions interpreter (boto_client_for) and of our in-process Lambda handlers. mock_aws starts a fresh
    boto3 default session, so call this before entering it. Inert outside mock_aws (botocore_stubber.enabled)."""
    from botocore.handlers import BUILTIN_HANDLERS, REGISTER_LAST

    spec = ("before-parameter-build", _check_params, REGISTER_LAST)  # after botocore's own (idempotency tokens)
    with _LOCK:
        if spec not in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.append(spec)


def _check_params(**kwargs: Any) -> None:
    if botocore_stubber.enabled and STRICT["params"]:
        params.check_call(**kwargs)


def _lambda_runs_our_handlers() -> None:
    """moto runs Lambda code only in Docker and otherwise echoes the input: call the real handler in process."""

    def invoke(self, function_name, qualifier, body, headers, response_headers):  # type: ignore[no-untyped-def]
        fn = self.get_function(function_name, qualifier)
        context = LambdaContext(fn.function_name, fn.function_arn, int(fn.memory_size))
        event = json.loads(body) if body else {}
        environment = dict(fn.environment_vars)
        if STRICT["iam"]:  # the runtime hands the function its role's session in these three variables
            credentials = role_credentials(fn.role, fn.function_name)
            environment.update({name.upper(): value for name, value in credentials.items()})
        result, errored = invoke_handler(fn.handler, environment, event, context=context, region=self.region_name)
        if errored:
            response_headers["x-amz-function-error"] = "Unhandled"  # Step Functions names the error errorType
        return json.dumps(result).encode("utf-8")

    LambdaSimpleBackend.invoke = invoke


def _aws_sdk_like_step_functions() -> None:
    """Two gaps between moto's aws-sdk integration and Step Functions:
    - responses keep Python datetimes, which crash moto's describe_execution once they reach the state:
      Step Functions hands the state ISO-8601 strings;
    - a ClientError becomes `<Service>.<Service>Exception` whatever its code: Step Functions names it
      `<Service>.<Code>` with an Exception suffix (so a Retry on SageMaker.ThrottlingException can match)."""
    sdk = state_task_service_aws_sdk.StateTaskServiceAwsSdk
    original = sdk._from_error

    def normalise_response(self, response, boto_service_name=None, service_action_name=None):  # type: ignore[no-untyped-def]
        if isinstance(response, dict):
            converted = json_safe(response)
            response.clear()
            response.update(converted)

    def from_error(self, env, ex):  # type: ignore[no-untyped-def]
        event = original(self, env, ex)
        if not isinstance(ex, ClientError):
            return event
        name = error_name(self.resource.api_name, ex.response["Error"]["Code"])
        cause = event.event_details["taskFailedEventDetails"].get("cause", "")
        return self._get_task_failure_event(env=env, error=name, cause=cause)

    sdk._normalise_response = normalise_response
    sdk._from_error = from_error


def error_name(service: str, code: str) -> str:
    """Step Functions' name for a service error: `SageMaker.ThrottlingException`."""
    name = SERVICE_NAMES.get(service.lower(), service[:1].upper() + service[1:])
    return f"{name}.{code}" + ("" if code.endswith("Exception") else "Exception")


def json_safe(value: Any) -> Any:
    """Datetimes as Step Functions writes them (ISO-8601, milliseconds, Z), recursively."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def _filters_that_match_nothing_are_empty() -> None:
    """Step Functions (Jayway JsonPath) gives [] for an indefinite path that matches nothing; moto does so for
    wildcards and slices but fails a filter (`$.Endpoints[?(@.EndpointName == 'x')]`) as "could not be found"."""
    original = json_path._contains_slice_or_wildcard_array
    json_path._contains_slice_or_wildcard_array = lambda path: "[?(" in path or original(path)


def _definite_paths_are_values() -> None:
    """moto answers a definite path through an index (`$.packages[0].ModelPackageArn`) with a one-item list
    (its fix for moto#7825 is broad); Step Functions gives the value, here the ARN DescribeChampion needs."""
    from jsonpath_ng.ext import parse
    from moto.stepfunctions.parser.asl.component.common.string import string_expression
    from moto.stepfunctions.parser.asl.component.intrinsic.argument import argument

    original = json_path.extract_json

    def extract_json(path: str, data: Any) -> Any:
        if not INDEFINITE.search(path):
            matches = parse(path).find(data)
            if len(matches) == 1:
                return matches[0].value
        return original(path, data)

    for module in (json_path, string_expression, argument):
        module.extract_json = extract_json


def _lambda_service_errors_named() -> None:
    """For a task whose Resource is a function ARN, moto names every Lambda service error "Exception"; Step
    Functions names it `Lambda.<Code>Exception`, which is what our Retry lists (Lambda.TooManyRequestsException)."""
    original = StateTaskLambda._from_error

    def from_error(self, env, ex):  # type: ignore[no-untyped-def]
        event = original(self, env, ex)
        if isinstance(ex, ClientError):
            name = error_name("lambda", ex.response["Error"]["Code"])
            event.event_details["lambdaFunctionFailedEventDetails"]["error"] = name
            return FailureEvent(env, CustomErrorName(name), event.event_type, event.event_details)
        return event

    StateTaskLambda._from_error = from_error


def _scaled_clock() -> None:
    """A 30 s Wait or a 5-40 s retry back-off would dominate a laptop run: scale both by CLOCK["scale"]."""
    import time

    def wait_interval(self, env, wait_seconds):  # type: ignore[no-untyped-def]
        if wait_seconds > 0:
            env.program_state_event.wait(wait_seconds * CLOCK["scale"])

    class ScaledTime:
        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            time.sleep(seconds * CLOCK["scale"])

    WaitFunction._wait_interval = wait_interval
    retrier_decl.time = ScaledTime()  # the retrier's only use of `time` is sleep(interval)


def _planned_faults() -> None:
    """moto cannot make one call fail once (throttling, a model error): answer a planned fault instead."""
    original = BaseResponse.call_action

    def call_action(self):  # type: ignore[no-untyped-def]
        fault = FAULTS.take(self.service_name or "", self._get_action())
        if fault is None:
            return original(self)
        body = json.dumps({"__type": fault.code, "message": fault.message, "Message": fault.message})
        # A request id, as every AWS answer has: moto's aws-sdk task reads it when it reports the error.
        headers = {"status": fault.status, "x-amzn-ErrorType": fault.code, "x-amzn-RequestId": str(uuid.uuid4())}
        return fault.status, headers, body

    BaseResponse.call_action = call_action


# --- SageMaker: .sync tasks, jobs that run our scripts, endpoints that deploy and serve -----------------------

_JOBS = {"createTrainingJob": "TrainingJob", "createProcessingJob": "ProcessingJob"}
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
        return boto_client_for(region=part.region, service="sagemaker", state_credentials=credentials)

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
        describe = getattr(client, f"describe_{kind[:-3].lower()}_job")
        name = normalised_parameters[f"{kind}Name"]

        def resolve() -> dict[str, Any] | None:
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
        rule = f"arn:aws:events:{region}:{role_arn.split(':')[4]}:rule/StepFunctionsGetEventsForSageMaker{kind}sRule"
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

    SageMakerModelBackend.create_training_job = create_training_job
    SageMakerModelBackend.create_processing_job = create_processing_job


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

    threading.Thread(target=target, daemon=True, name=f"sagemaker-{kind}").start()


def _volume_grant(request: dict[str, Any], region: str) -> None:
    """An encrypted ML volume: SageMaker creates a grant on the key for the instance, as the execution role."""
    key = request.get("VolumeKmsKeyId")
    if not key or not STRICT["iam"]:
        return
    from slipstream.local.strict.iam import Request

    context = {"kms:grantisforawsresource": ["true"], "kms:viaservice": [f"sagemaker.{region}.amazonaws.com"]}
    authorize_role(request["RoleArn"], "SageMaker", Request("kms:CreateGrant", key, context), region)


_PENDING: dict[str, dict[str, Any]] = {}  # endpoint ARN -> the deployment the next describes reveal
_HOSTED: dict[str, HostedEndpoint] = {}  # endpoint ARN (lower case) -> the container answering invocations
# Serverless limits of every emulated endpoint; MaxConcurrency comes from each endpoint config. Tests may
# replace the limits with small ones (e.g. a 1 s invocation timeout) instead of waiting a minute.
SERVERLESS = {"limits": ServerlessLimits()}
PING_FAILED = (
    "The primary container for production variant AllTraffic did not pass the ping health check. "
    "Please check CloudWatch logs for this endpoint."
)


def _endpoints_that_deploy_and_serve() -> None:
    """moto's endpoints are InService at once, cannot be updated (no UpdateEndpoint) and answer canned bodies.
    Ours start a model container for the config they name (hosting.py): Creating/Updating on the first
    describe, then InService once it answers /ping, or Failed when it does not (a failed update stays InService
    on the old config with a FailureReason, as SageMaker's does); InvokeEndpoint goes to the container through
    SageMaker Runtime's limits and answers (slipstream.local.strict.serverless); a deleted or replaced
    endpoint's container stops."""
    create, describe = SageMakerModelBackend.create_endpoint, SageMakerModelBackend.describe_endpoint
    delete = SageMakerModelBackend.delete_endpoint

    def create_endpoint(self, endpoint_name, endpoint_config_name, tags):  # type: ignore[no-untyped-def]
        endpoint = create(self, endpoint_name, endpoint_config_name, tags)
        _deploy(self, endpoint, endpoint_config_name, updating=False)
        return endpoint

    def describe_endpoint(self, endpoint_name):  # type: ignore[no-untyped-def]
        answer = describe(self, endpoint_name)
        endpoint = self.endpoints[endpoint_name]
        if endpoint.arn in _PENDING:
            _reveal(endpoint)  # this describe still says Creating/Updating; a later one shows the outcome
        return answer

    def delete_endpoint(self, endpoint_name):  # type: ignore[no-untyped-def]
        endpoint = self.endpoints.get(endpoint_name)
        delete(self, endpoint_name)
        hosting.stop((_PENDING.pop(endpoint.arn, None) or {}).get("hosted"))
        hosting.stop(_HOSTED.pop(endpoint.arn.lower(), None))  # a deleted endpoint answers nothing

    SageMakerModelBackend.create_endpoint = create_endpoint
    SageMakerModelBackend.describe_endpoint = describe_endpoint
    SageMakerModelBackend.delete_endpoint = delete_endpoint
    SageMakerModelBackend.update_endpoint = _update_endpoint
    SageMakerResponse.update_endpoint = _update_endpoint_response
    SageMakerRuntimeResponse.invoke_endpoint = _invoke_endpoint_response


def close_account() -> None:
    """The emulated account is gone: stop every endpoint's container."""
    for outcome in list(_PENDING.values()):
        hosting.stop(outcome.get("hosted"))
    _PENDING.clear()
    _HOSTED.clear()
    hosting.stop_all()


def _container_of(backend: Any, variant: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """ModelDataUrl and the environment the container starts with: the package's, then CreateModel's on top."""
    container = backend._models[variant["ModelName"]].primary_container or {}
    url, environment = container.get("ModelDataUrl"), {}
    if container.get("ModelPackageName"):
        package = backend.describe_model_package(container["ModelPackageName"])
        url = package.inference_specification["Containers"][0]["ModelDataUrl"]
        environment = package.inference_specification["Containers"][0].get("Environment") or {}
    return url, {**environment, **(container.get("Environment") or {})}


def _deploy(backend: Any, endpoint: Any, config_name: str, *, updating: bool) -> None:
    import time
    from dataclasses import replace

    config = backend.endpoint_configs[config_name]
    variant = config.production_variants[0]
    outcome: dict[str, Any] = {"config": config_name, "variants": config.production_variants}
    limits = SERVERLESS["limits"]
    concurrency = (variant.get("ServerlessConfig") or {}).get("MaxConcurrency", limits.max_concurrency)
    outcome["limits"] = limits = replace(limits, max_concurrency=int(concurrency))
    outcome["deadline"] = time.monotonic() + limits.ping_timeout
    try:
        fault = FAULTS.take("sagemaker", "HostEndpoint")
        if fault:
            raise RuntimeError(fault.message)
        url, environment = _container_of(backend, variant)
        # SageMaker downloads the model (and the submit directory) as the model's execution role.
        role = backend._models[variant["ModelName"]].execution_role_arn
        s3 = client_as(role, "s3", backend.region_name, "SageMaker")
        try:
            outcome["hosted"] = hosting.start_endpoint(s3, endpoint.endpoint_name, url, environment, limits)
        except ClientError as error:
            raise RuntimeError(
                f'Failed to download model data for container "container_1" from URL: "{url}". Please ensure that '
                f"there is an object located at the URL and that the role passed to CreateModel has permissions to "
                f"download the object. ({error})"
            ) from error
    except Exception as error:
        outcome["failure"] = f"The primary container for production variant AllTraffic did not start: {error}"
    endpoint.endpoint_status = "Updating" if updating else "Creating"
    _PENDING[endpoint.arn] = outcome


def _wait_for_health(outcome: dict[str, Any]) -> None:
    """Block until the new container answers /ping, or record why it never will (SageMaker's FailureReason).
    Blocking keeps an execution's path deterministic: one Creating/Updating poll, then the outcome."""
    import time

    from slipstream.serving.container import ContainerFailed

    if "failure" in outcome:
        return
    container = hosting.container_of(outcome["hosted"])
    try:
        container.wait_ready(max(0.0, outcome["deadline"] - time.monotonic()))
    except ContainerFailed as error:
        log = "\n".join(container.log_tail())
        outcome["failure"] = f"{PING_FAILED} ({error}; log: {container.log_path})\n{log}"


def _reveal(endpoint: Any) -> None:
    outcome = _PENDING.pop(endpoint.arn)
    _wait_for_health(outcome)
    endpoint.last_modified_time = datetime.now(UTC)
    endpoint.failure_reason = outcome.get("failure")
    if "failure" in outcome:
        hosting.stop(outcome.get("hosted"), keep_files=True)  # its log stays for the FailureReason
        endpoint.endpoint_status = "InService" if endpoint.arn.lower() in _HOSTED else "Failed"
        return
    endpoint.endpoint_config_name = outcome["config"]
    endpoint.production_variants = endpoint._process_production_variants(outcome["variants"])
    endpoint.endpoint_status = "InService"
    replaced = _HOSTED.get(endpoint.arn.lower())
    _HOSTED[endpoint.arn.lower()] = outcome["hosted"]
    hosting.stop(replaced)  # the old config's container, once the new one serves


def _approval_keeps_metadata() -> None:
    """moto's UpdateModelPackage sets CustomerMetadataProperties to None when the call omits them (ApproveModel
    and RejectModel only send the status); SageMaker keeps them, and with them the package's run id and lineage."""
    original = SageMakerModelBackend.update_model_package

    def update_model_package(self, **kwargs):  # type: ignore[no-untyped-def]
        package = self.describe_model_package(kwargs["model_package_arn"])
        kept = kwargs.get("customer_metadata_properties") or package.customer_metadata_properties
        return original(self, **{**kwargs, "customer_metadata_properties": kept})

    SageMakerModelBackend.update_model_package = update_model_package


def _only_approved_packages_deploy() -> None:
    """moto creates a model from a package in any approval state; SageMaker refuses an unapproved version."""
    from moto.sagemaker.exceptions import ValidationError

    original = SageMakerModelBackend.create_model

    def create_model(self, **kwargs):  # type: ignore[no-untyped-def]
        def lookup(name: str) -> tuple[str | None, str | None]:
            package = self.describe_model_package(name)
            return package.model_package_group_name, package.model_approval_status

        containers = [kwargs.get("primary_container"), *(kwargs.get("containers") or [])]
        refusal = model_packages.unapproved_package(containers, lookup)
        if refusal:
            raise ValidationError(message=refusal)
        return original(self, **kwargs)

    SageMakerModelBackend.create_model = create_model


def _update_endpoint(self: Any, endpoint_name: str, endpoint_config_name: str) -> Any:
    from moto.core.exceptions import JsonRESTError

    endpoint = self.endpoints.get(endpoint_name)
    if endpoint is None or endpoint_config_name not in self.endpoint_configs:
        missing = "endpoint" if endpoint is None else "endpoint configuration"
        raise JsonRESTError("ValidationException", f"Could not find {missing} for {endpoint_name}.")
    if endpoint.endpoint_status not in ("InService", "Failed"):
        raise JsonRESTError("ValidationException", f"Cannot update in-progress endpoint {endpoint.arn}.")
    _deploy(self, endpoint, endpoint_config_name, updating=True)
    return endpoint


def _update_endpoint_response(self: Any) -> str:
    endpoint = self.sagemaker_backend.update_endpoint(
        self._get_param("EndpointName"), self._get_param("EndpointConfigName")
    )
    return json.dumps({"EndpointArn": endpoint.arn})


def _invoke_endpoint_response(self: Any) -> tuple[int, dict[str, Any], bytes]:
    backend = self.sagemakerruntime_backend
    name = unquote(self.path.split("/")[2])  # /endpoints/<name>/invocations
    hosted = _HOSTED.get(f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:endpoint/{name}".lower())
    if hosted is None:
        answer = serverless.unknown_endpoint(name, backend.account_id)
    else:
        body = self.body if isinstance(self.body, bytes) else (self.body or "").encode("utf-8")
        content_type, accept = self.headers.get("Content-Type"), self.headers.get("Accept")
        answer = serverless.invoke_endpoint(hosted, body, content_type, accept, backend.account_id)
    return answer.status, {"status": answer.status, **answer.headers}, answer.body


# --- Strict IAM and KMS: every call by a role is evaluated against that role's policies -----------------------
# Principals sign with credentials from moto STS (`role_credentials`); `_SESSIONS` maps their access keys back to
# the role. Calls signed otherwise (the harness, the CLI: a deployer) are an administrator's and not evaluated.
# The evaluation is slipstream/local/strict (iam.py decides, resources.py says what each call asks for).

_SESSIONS: dict[str, Any] = {}  # access key id -> strict.iam.Principal
_ROLE_CREDENTIALS: dict[tuple[str, str], dict[str, str]] = {}  # (role ARN, session) -> credentials
ADMIN = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_session_token": "testing"}


def role_credentials(role_arn: str, session: str) -> dict[str, str]:
    """Credentials of `role_arn` assumed through moto STS, as the service that runs as the role gets them."""
    import boto3

    from slipstream.local.strict.iam import Principal

    if (role_arn, session) not in _ROLE_CREDENTIALS:
        answer = boto3.client("sts", region_name="us-east-1", **ADMIN).assume_role(
            RoleArn=role_arn, RoleSessionName=session[:64]
        )
        given = answer["Credentials"]
        account = role_arn.split(":")[4]
        _SESSIONS[given["AccessKeyId"]] = Principal(answer["AssumedRoleUser"]["Arn"], role_arn, account)
        _ROLE_CREDENTIALS[(role_arn, session)] = {
            "aws_access_key_id": given["AccessKeyId"],
            "aws_secret_access_key": given["SecretAccessKey"],
            "aws_session_token": given["SessionToken"],
        }
    return _ROLE_CREDENTIALS[(role_arn, session)]


def reset_strict() -> None:
    """A new account: no sessions from the last one survive (moto's backends are reset with it)."""
    _SESSIONS.clear()
    _ROLE_CREDENTIALS.clear()


def client_as(role_arn: str | None, service: str, region: str, session: str) -> Any:
    import boto3

    credentials = role_credentials(role_arn, session) if role_arn else ADMIN
    return boto3.client(service, region_name=region, **credentials)


def _state_machine_signs_its_calls() -> None:
    """moto's interpreter signs every task's call with a fixed "ak" key: sign with the state machine's role."""
    import importlib

    import boto3
    from botocore.config import Config
    from moto.stepfunctions.parser.asl.utils import boto_client as module

    original = module.boto_client_for
    base = "moto.stepfunctions.parser.asl.component.state.exec.state_task."
    users = [base + "lambda_eval_utils"] + [
        f"{base}service.state_task_service_{name}" for name in ("aws_sdk", "sns", "events", "sqs", "sfn", "dynamodb")
    ]

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        role = getattr(state_credentials, "role_arn", None)
        if not role or not STRICT["iam"]:
            return original(region=region, service=service, state_credentials=state_credentials)
        config = Config(parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1})
        return boto3.client(service, region_name=region, config=config, **role_credentials(role, "StepFunctions"))

    for name in users:
        importlib.import_module(name).boto_client_for = boto_client_for  # type: ignore[attr-defined]
    globals()["boto_client_for"] = boto_client_for


def _every_call_authorized() -> None:
    """moto's own IAM check (ActionAuthenticatorMixin) runs before every action, S3's included, but only in its
    opt-in mode, knows only IAM users and assumed roles' identity policies, and ignores resources: ours decides
    with the strict evaluator, the resource ARNs of strict.resources, and the key, bucket and topic policies."""
    from moto.core.authorization import ActionAuthenticatorMixin

    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize(self, iam_request_cls, resource="*"):  # type: ignore[no-untyped-def]
        scope = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/", self.headers.get("Authorization", ""))
        principal = _SESSIONS.get(scope.group(1)) if scope and STRICT["iam"] else None
        if principal is None:
            return original(self, iam_request_cls, resource)
        _authorize_call(self, principal, scope.group(3), scope.group(2))

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize
    _bucket_policies_with_conditions()


def _bucket_policies_with_conditions() -> None:
    """moto's S3 applies a bucket policy's Deny itself, with its evaluator, which ignores Bool conditions: CDK's
    enforceSSL Deny (aws:SecureTransport=false) would refuse every call. Ours sees a TLS request (botocore's)."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    from slipstream.local.strict import iam

    def get_permission(self, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        request = iam.Request(action, resource, {"aws:securetransport": ["true"]})
        effects = [s.effect_on(request) for s in iam.statements(self.policy.decode())]
        return PermissionResult.DENIED if iam.Effect.DENY in effects else PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission


IAM_PREFIXES = {"monitoring": "cloudwatch", "execute-api": "execute-api"}


def _authorize_call(response: Any, principal: Any, signing_name: str, region: str) -> None:
    from slipstream.local.strict import iam, resources

    service = IAM_PREFIXES.get(signing_name, signing_name)
    if service == "s3":
        action, param = response.data.get("Action", ""), _s3_param(response)
    else:
        action, param = response._get_action(), _param(response)
    call = resources.Call(service, action, param, principal.account, region, path=response.path or "")
    context = resources.base_context(principal.arn, principal.account, region)
    try:
        for asked in resources.requests_of(call):
            for request in _resolved(asked, region, principal.account):
                merged = iam.Request(request.action, request.resource, {**context, **request.context})
                iam.authorize(principal, merged, _policies_for(principal, merged, region))
    except iam.AccessDenied as denied:
        raise _denial(service, denied) from None


def authorize_role(role_arn: str, session: str, request: Any, region: str) -> None:
    """Evaluate one request a service makes as `role_arn` (a grant, a managed rule); raises AccessDenied."""
    from slipstream.local.strict import iam, resources

    role_credentials(role_arn, session)
    principal = next(p for p in _SESSIONS.values() if p.role_arn == role_arn and p.arn.endswith(f"/{session}"))
    context = {**resources.base_context(principal.arn, principal.account, region), **request.context}
    merged = iam.Request(request.action, request.resource, context)
    iam.authorize(principal, merged, _policies_for(principal, merged, region))


def _param(response: Any) -> Any:
    def get(name: str) -> Any:
        value = response._get_param(name)
        return value if value is not None else response.querystring.get(name.lower(), [None])[0]

    return get


def _s3_param(response: Any) -> Any:
    bucket, key = _s3_bucket_and_key(response)
    values = {
        "Bucket": bucket,
        "Key": key,
        "Method": response.method,
        "CopySource": response.headers.get("x-amz-copy-source"),
        "SSEKMSKeyId": response.headers.get("x-amz-server-side-encryption-aws-kms-key-id"),
    }
    return values.get


def _s3_bucket_and_key(response: Any) -> tuple[str, str | None]:
    bucket = response.bucket_name or ""
    key = unquote(response.parse_key_name()) if bucket else ""
    return bucket, key or None


def _resolved(asked: Any, region: str, account: str) -> list[Any]:
    """A KeyOf marker becomes kms requests on the key that really encrypts the topic, bucket or object."""
    from slipstream.local.strict import iam, resources

    if not isinstance(asked, resources.KeyOf):
        return [asked]
    key = _key_of(asked, region, account)
    if not key:
        return []
    arn = key if key.startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key}"
    via = "sns" if asked.kind == "topic" else "s3"
    context = {"kms:viaservice": [f"{via}.{region}.amazonaws.com"], "kms:calleraccount": [account]}
    return [iam.Request(action, arn, context) for action in asked.actions]


def _key_of(asked: Any, region: str, account: str) -> str | None:
    from moto.s3.models import s3_backends
    from moto.sns.models import sns_backends

    if asked.kind == "key":
        return str(asked.name)
    if asked.kind == "topic":
        topic = sns_backends[account][region].topics.get(asked.name)
        return topic.kms_master_key_id if topic else None
    s3 = s3_backends[account]["aws"]
    if asked.kind == "bucket":
        bucket = s3.buckets.get(asked.name)
        rule = ((bucket.encryption or {}).get("Rule") or {}) if bucket else {}
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        return default.get("KMSMasterKeyID") if default.get("SSEAlgorithm") == "aws:kms" else None
    bucket_name, _, key_name = asked.name.partition("/")
    bucket = s3.buckets.get(bucket_name)
    stored = bucket.keys.get(key_name) if bucket else None
    return stored.kms_key_id if stored is not None and stored.encryption == "aws:kms" else None


def _policies_for(principal: Any, request: Any, region: str) -> Any:
    from moto.iam.models import iam_backends

    from slipstream.local.strict.iam import Policies

    role = iam_backends[principal.account]["aws"].get_role_by_arn(principal.role_arn)
    identity: list[Any] = list(role.policies.values())
    for managed in role.managed_policies.values():
        identity += [v.document for v in managed.versions if v.is_default]
    service = request.action.split(":", 1)[0]
    if service == "kms":
        return Policies(identity, key=_key_policy(request.resource, region, principal.account))
    return Policies(identity, resource=_resource_policy(service, request.resource, region, principal.account))


def _key_policy(arn: str, region: str, account: str) -> str:
    from moto.kms.models import kms_backends

    backend = kms_backends[account][region]
    key = backend.keys.get(backend.any_id_to_key_id(arn.rsplit("/", 1)[-1])) if "/" in arn else None
    return key.policy if key else json.dumps({"Statement": []})  # no such key: nothing allows


def _resource_policy(service: str, arn: str, region: str, account: str) -> str | None:
    from moto.s3.models import s3_backends
    from moto.sns.models import sns_backends

    if service == "s3":
        bucket = s3_backends[account]["aws"].buckets.get(arn.removeprefix("arn:aws:s3:::").split("/")[0])
        return bucket.policy.decode() if bucket is not None and bucket.policy else None
    if service == "sns":
        topic = sns_backends[account][region].topics.get(arn)
        return topic.policy if topic else None
    return None


QUERY_SERVICES = {"sns": ("AuthorizationError", 403), "iam": ("AccessDenied", 403), "sts": ("AccessDenied", 403)}
QUERY_SERVICES["cloudwatch"] = ("AccessDenied", 403)


def _denial(service: str, denied: Exception) -> Exception:
    """The error each service answers a refused call with (S3: 403 AccessDenied; JSON APIs: AccessDeniedException;
    SNS: AuthorizationError, or KMSAccessDenied when the topic's key refuses)."""
    from moto.core.exceptions import JsonRESTError
    from moto.s3.exceptions import S3ClientError

    message = str(denied)
    if service == "s3":
        return S3ClientError("AccessDenied", message)  # moto serializes it as S3 does: 403 AccessDenied
    if service == "sns" and message.split("perform: ", 1)[1].startswith("kms:"):
        return _query_error("KMSAccessDenied", message, 400)
    if service in QUERY_SERVICES:
        code, status = QUERY_SERVICES[service]
        return _query_error(code, message, status)
    error = JsonRESTError("AccessDeniedException", message)
    error.code = 400 if service in ("sagemaker", "kms", "events", "states", "dynamodb", "firehose") else 403
    return error


def _query_error(code: str, message: str, status: int) -> Exception:
    # moto's pre-dispatch hook turns only HTTPExceptions into answers; _RESTError is the one that speaks XML.
    from moto.core.exceptions import _RESTError

    error = _RESTError(code, message)
    error.code = status
    return error


# --- A saved account: the data backends, pickled between runs (saved_account.py owns the file) --------------

# The services that hold data a later run reads: objects and bucket settings, keys (bucket encryption and
# objects name them), the registry, models, endpoint configs and endpoints. The rest of the account (roles,
# functions, topics, the state machine) is what a deploy converges to, so each run deploys it afresh.
DATA_BACKENDS = (("moto.s3.models", "s3_backends"), ("moto.kms.models", "kms_backends"))
DATA_BACKENDS += (("moto.sagemaker.models", "sagemaker_backends"),)


def data_backends(account: str) -> dict[str, dict[str, Any]]:
    """`module:attribute` -> region (S3: partition) -> backend, settled: no endpoint is left half-deployed."""
    import importlib

    state = {}
    for module, attribute in DATA_BACKENDS:
        regions = dict(getattr(importlib.import_module(module), attribute)[account])
        for backend in regions.values():
            for endpoint in getattr(backend, "endpoints", {}).values():
                if endpoint.arn in _PENDING:
                    _reveal(endpoint)
        state[f"{module}:{attribute}"] = regions
    return state


def restore_data_backends(account: str, state: dict[str, dict[str, Any]]) -> None:
    """Put saved backends in place (inside `mock_aws`, before the deploy: it reuses their buckets and keys)."""
    import importlib

    for name, regions in state.items():
        module, attribute = name.split(":")
        backends = getattr(importlib.import_module(module), attribute)[account]
        for region, backend in regions.items():
            backends[region] = backend


def restart_endpoints(account: str) -> list[str]:
    """Start the restored endpoints' containers again, once the deploy has recreated the roles they download
    their models as; returns a warning for each endpoint whose model no longer starts (left Failed)."""
    from moto.sagemaker.models import sagemaker_backends

    warnings = []
    for backend in sagemaker_backends[account].values():
        for endpoint in backend.endpoints.values():
            if endpoint.endpoint_status == "InService":
                changed = endpoint.last_modified_time  # a restart of the emulation is no change to the endpoint
                _deploy(backend, endpoint, endpoint.endpoint_config_name, updating=False)
                _reveal(endpoint)
                endpoint.last_modified_time = changed
                if endpoint.failure_reason:
                    warnings.append(f"endpoint {endpoint.endpoint_name}: {endpoint.failure_reason}")
    return warnings


class AccountPickler(pickle.Pickler):
    """KMS keeps a key pair per key as cryptography's Rust objects, which do not pickle: keep them as DER."""

    def reducer_override(self, obj: Any) -> Any:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        if isinstance(obj, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            der = obj.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            return _private_key, (der,)
        return NotImplemented


def _private_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_der_private_key(der, None)


# --- EventBridge rules with Lambda targets (the S3 trigger, triggers.py) ------------------------------------


def _rules_deliver_to_lambda() -> None:
    """moto's EventBridge rules deliver to log groups, archives, SQS and buses only (other targets raise, and
    S3's notifier swallows the error): deliver to Lambda targets too, asynchronously, as EventBridge invokes.
    S3's "Object Created" detail names the ETag `etag` (AWS's event reference); moto writes `eTag`."""
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):  # type: ignore[no-untyped-def]
        functions = [t for t in self.targets if t["Arn"].split(":")[2] == "lambda"]
        if functions and self.event_pattern.matches_event(original_event):
            event = json.loads(json.dumps(original_event, default=str))
            s3_object = event.get("detail", {}).get("object", {})
            if event.get("source") == "aws.s3" and "eTag" in s3_object:
                s3_object["etag"] = s3_object.pop("eTag")
            for target in functions:
                args = (self.region_name, target["Arn"], event)
                threading.Thread(target=_invoke_event, args=args, daemon=True, name="eventbridge-target").start()
        kept = self.targets
        self.targets = [t for t in kept if t not in functions]
        try:
            original(self, original_event, transform_input)
        finally:
            self.targets = kept

    Rule.send_to_targets = send_to_targets


def _invoke_event(region: str, function_arn: str, event: dict[str, Any]) -> None:
    import boto3

    client = boto3.client("lambda", region_name=region)
    client.invoke(FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(event).encode())
