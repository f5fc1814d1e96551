"""What moto 5.2.5 lacks to run our synthesized state machine, added in ONE module.

This is the only module that touches moto internals (private classes, backends, module attributes); that is
why pyproject pins moto exactly (`moto[all]==5.2.5`): re-check every patch below when moving the pin. It sits
in slipstream/local, not tests/, because `slipstream run --engine stepfunctions` runs on it as well as
tests/statemachine (which stays thin). `install()` is idempotent; the patches are inert outside `mock_aws`.
The work itself (running handlers, jobs, models) lives in handlers.py, jobs.py, hosting.py: no moto there.
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

# Execution on; Lambda's Docker-free backend, whose invoke we route to our handlers in process.
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
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


def install() -> None:
    with _LOCK:
        if _INSTALLED:
            return
        _lambda_runs_our_handlers()
        _sagemaker_sync_tasks()
        _sagemaker_jobs_run_our_scripts()
        _endpoints_that_deploy_and_serve()
        _approval_keeps_metadata()
        _aws_sdk_like_step_functions()
        _filters_that_match_nothing_are_empty()
        _definite_paths_are_values()
        _lambda_service_errors_named()
        _scaled_clock()
        _planned_faults()
        _rules_deliver_to_lambda()
        _INSTALLED.append(True)


def _lambda_runs_our_handlers() -> None:
    """moto runs Lambda code only in Docker and otherwise echoes the input: call the real handler in process."""

    def invoke(self, function_name, qualifier, body, headers, response_headers):  # type: ignore[no-untyped-def]
        fn = self.get_function(function_name, qualifier)
        context = LambdaContext(fn.function_name, fn.function_arn, int(fn.memory_size))
        event = json.loads(body) if body else {}
        result, errored = invoke_handler(
            fn.handler, dict(fn.environment_vars), event, context=context, region=self.region_name
        )
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
            "HyperParameters": kwargs.get("hyper_parameters") or {},
            "InputDataConfig": kwargs.get("input_data_config") or [],
            "OutputDataConfig": kwargs["output_data_config"],
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
        }
        _start_job(self.region_name, job, "processing_job", jobs.run_processing, request)
        return job

    SageMakerModelBackend.create_training_job = create_training_job
    SageMakerModelBackend.create_processing_job = create_processing_job


def _start_job(region: str, job: Any, kind: str, run: Any, request: dict[str, Any]) -> None:
    import tempfile
    from pathlib import Path

    import boto3

    setattr(job, f"{kind}_status", "InProgress")

    def target() -> None:
        workdir = Path(tempfile.mkdtemp(prefix=f"slipstream-{kind.replace('_', '-')}-"))
        try:
            outcome = run(request, workdir, boto3.client("s3", region_name=region))
        except jobs.JobError as error:
            outcome = jobs.JobOutcome("Failed", str(error))
        except Exception as error:  # an emulation bug must still end the job, never hang the execution
            outcome = jobs.JobOutcome("Failed", f"InternalServerError: {type(error).__name__}: {error}")
        job.workdir = str(workdir)  # shows up in Describe*Job as "Workdir": where the logs are
        job.failure_reason, job.exit_message = outcome.failure_reason, outcome.exit_message
        if kind == "training_job":
            job.secondary_status = outcome.status
        job.last_modified_time = datetime.now(UTC)
        setattr(job, f"{kind}_status", outcome.status)

    threading.Thread(target=target, daemon=True, name=f"sagemaker-{kind}").start()


_PENDING: dict[str, dict[str, Any]] = {}  # endpoint ARN -> what the next describe reveals
_HOSTED: dict[str, Any] = {}  # endpoint ARN (lower case) -> the HostedModel answering invocations


def _endpoints_that_deploy_and_serve() -> None:
    """moto's endpoints are InService at once, cannot be updated (no UpdateEndpoint) and answer canned bodies.
    Ours load the model their config names (hosting.py): Creating/Updating on the first describe, then InService
    or Failed (a failed update stays InService on the old config with a FailureReason, as SageMaker's does),
    InvokeEndpoint runs the model's own inference.py, and a deleted endpoint stops answering."""
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
            _reveal(endpoint)  # this describe still says Creating/Updating; the next one shows the outcome
        return answer

    def delete_endpoint(self, endpoint_name):  # type: ignore[no-untyped-def]
        endpoint = self.endpoints.get(endpoint_name)
        delete(self, endpoint_name)
        _PENDING.pop(endpoint.arn, None)
        _HOSTED.pop(endpoint.arn.lower(), None)  # a deleted endpoint answers nothing

    SageMakerModelBackend.create_endpoint = create_endpoint
    SageMakerModelBackend.describe_endpoint = describe_endpoint
    SageMakerModelBackend.delete_endpoint = delete_endpoint
    SageMakerModelBackend.update_endpoint = _update_endpoint
    SageMakerResponse.update_endpoint = _update_endpoint_response
    SageMakerRuntimeResponse.invoke_endpoint = _invoke_endpoint_response


def _deploy(backend: Any, endpoint: Any, config_name: str, *, updating: bool) -> None:
    import boto3

    config = backend.endpoint_configs[config_name]
    outcome: dict[str, Any] = {"config": config_name, "variants": config.production_variants}
    try:
        fault = FAULTS.take("sagemaker", "HostEndpoint")
        if fault:
            raise RuntimeError(fault.message)
        container = backend._models[config.production_variants[0]["ModelName"]].primary_container or {}
        url, environment = container.get("ModelDataUrl"), {}
        if container.get("ModelPackageName"):
            package = backend.describe_model_package(container["ModelPackageName"])
            url = package.inference_specification["Containers"][0]["ModelDataUrl"]
            environment = package.inference_specification["Containers"][0].get("Environment") or {}
        # inference.py reports the version only when the model's environment names it, as in the container.
        version = {**environment, **(container.get("Environment") or {})}.get("SLIPSTREAM_MODEL_VERSION", "")
        outcome["model"] = hosting.load_model(boto3.client("s3", region_name=backend.region_name), url, version)
    except Exception as error:
        outcome["failure"] = f"The primary container for production variant AllTraffic did not start: {error}"
    endpoint.endpoint_status = "Updating" if updating else "Creating"
    _PENDING[endpoint.arn] = outcome


def _reveal(endpoint: Any) -> None:
    outcome = _PENDING.pop(endpoint.arn)
    endpoint.last_modified_time = datetime.now(UTC)
    endpoint.failure_reason = outcome.get("failure")
    if "failure" in outcome:
        endpoint.endpoint_status = "InService" if endpoint.arn.lower() in _HOSTED else "Failed"
        return
    endpoint.endpoint_config_name = outcome["config"]
    endpoint.production_variants = endpoint._process_production_variants(outcome["variants"])
    endpoint.endpoint_status = "InService"
    _HOSTED[endpoint.arn.lower()] = outcome["model"]


def _approval_keeps_metadata() -> None:
    """moto's UpdateModelPackage sets CustomerMetadataProperties to None when the call omits them (ApproveModel
    and RejectModel only send the status); SageMaker keeps them, and with them the package's run id and lineage."""
    original = SageMakerModelBackend.update_model_package

    def update_model_package(self, **kwargs):  # type: ignore[no-untyped-def]
        package = self.describe_model_package(kwargs["model_package_arn"])
        kept = kwargs.get("customer_metadata_properties") or package.customer_metadata_properties
        return original(self, **{**kwargs, "customer_metadata_properties": kept})

    SageMakerModelBackend.update_model_package = update_model_package


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


def _invoke_endpoint_response(self: Any) -> tuple[int, dict[str, Any], str]:
    backend = self.sagemakerruntime_backend
    name = unquote(self.path.split("/")[2])  # /endpoints/<name>/invocations
    model = _HOSTED.get(f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:endpoint/{name}".lower())
    if model is None:
        message = f"Endpoint {name} of account {backend.account_id} not found."
        # moto takes a response's status from its "status" header (the tuple's first item is not used).
        return 400, {"status": 400, "x-amzn-ErrorType": "ValidationError"}, json.dumps({"message": message})
    try:
        body, content_type = model.invoke(self.body, self.headers.get("Content-Type", ""), self.headers.get("Accept"))
    except Exception as error:  # SageMaker Runtime's answer when the model raises
        status = getattr(error, "status_code", 500)
        answer = {"message": f"Received client error ({status}) from model", "OriginalStatusCode": status}
        headers = {"status": 424, "x-amzn-ErrorType": "ModelError"}
        return 424, headers, json.dumps({**answer, "OriginalMessage": str(error)})
    return 200, {"Content-Type": content_type, "x-Amzn-Invoked-Production-Variant": "AllTraffic"}, body


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


def forget_endpoints() -> None:
    """A new account serves nothing: drop what endpoints of an earlier account in this process were hosting."""
    _PENDING.clear()
    _HOSTED.clear()


def restore_data_backends(account: str, state: dict[str, dict[str, Any]]) -> list[str]:
    """Put saved backends in place (inside `mock_aws`), then start the endpoints they hold again; returns a
    warning for each endpoint whose model no longer starts (it is left Failed, with the reason)."""
    import importlib

    for name, regions in state.items():
        module, attribute = name.split(":")
        backends = getattr(importlib.import_module(module), attribute)[account]
        for region, backend in regions.items():
            backends[region] = backend
    warnings = []
    for backend in state.get("moto.sagemaker.models:sagemaker_backends", {}).values():
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
