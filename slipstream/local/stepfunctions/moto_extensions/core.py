"""The Step Functions, Lambda and fault patches every emulated execution needs, and the shared switches."""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from botocore.exceptions import ClientError
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.models import botocore_stubber
from moto.core.responses import BaseResponse
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_aws_sdk
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.utils import json_path

from slipstream.local.stepfunctions.handlers import LambdaContext, invoke_handler
from slipstream.local.stepfunctions.moto_extensions.iam import role_credentials
from slipstream.local.stepfunctions.moto_extensions.switches import STRICT
from slipstream.local.strict import params

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
LOCK = threading.Lock()
INSTALLED: list[bool] = []


def install_strict_checks() -> None:
    """The strict checks of slipstream/local/strict for every boto3/botocore call made while mock_aws is active.

    Registered the way moto registers its own `before-send` stubber: in botocore's BUILTIN_HANDLERS, which every
    botocore session created afterwards registers, so it reaches every client, including those of moto's
    Step Functions interpreter (boto_client_for) and of our in-process Lambda handlers. mock_aws starts a fresh
    boto3 default session, so call this before entering it. Inert outside mock_aws (botocore_stubber.enabled)."""
    from botocore.handlers import BUILTIN_HANDLERS, REGISTER_LAST

    spec = ("before-parameter-build", _check_params, REGISTER_LAST)  # after botocore's own (idempotency tokens)
    with LOCK:
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
    """Three gaps between moto's aws-sdk integration and Step Functions:
    - responses keep Python datetimes, which crash moto's describe_execution once they reach the state:
      Step Functions hands the state ISO-8601 strings;
    - s3:getObject keeps botocore's stream as the Body: Step Functions hands the state the object's text;
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
    """Datetimes as Step Functions writes them (ISO-8601, milliseconds, Z), streamed bodies as text, recursively."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if hasattr(value, "read"):  # a streamed body (S3 GetObject's Body): Step Functions hands the state its text
        return value.read().decode("utf-8")
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


def _parser_errors_coded() -> None:
    """The exceptions of moto's Step Functions interpreter (parser/api.py, from LocalStack) declare their AWS code
    as `code` while moto's AWSError answers with `TYPE`: CreateStateMachine on a bad definition was refused with
    an empty code where Step Functions says InvalidDefinition. Give each of them its declared code and status."""
    from moto.stepfunctions.parser import api

    for error in vars(api).values():
        if isinstance(error, type) and issubclass(error, api.ServiceException) and isinstance(error.code, str):
            error.TYPE, error.STATUS = error.code, getattr(error, "status_code", error.STATUS)


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


# --- EventBridge rules with Lambda targets (the S3 trigger, triggers.py) ------------------------------------


def _rules_deliver_to_lambda() -> None:
    """moto's EventBridge rules deliver to log groups, archives, SQS and buses only (other targets raise, and
    S3's notifier swallows the error): deliver to Lambda and Step Functions targets too, asynchronously, as
    EventBridge does.
    S3's "Object Created" detail names the ETag `etag` (AWS's event reference); moto writes `eTag`. S3 writes
    the key form-encoded, `/` kept ("red flower.jpg" -> "red+flower.jpg", as AWS's readers of these events decode
    it: Powertools' S3EventBridgeNotificationObject.key); moto writes it as it is."""
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):  # type: ignore[no-untyped-def]
        functions = [t for t in self.targets if t["Arn"].split(":")[2] in ("lambda", "states")]
        event = json.loads(json.dumps(original_event, default=str))
        s3_object = event.get("detail", {}).get("object", {})
        if event.get("source") == "aws.s3" and "eTag" in s3_object:
            s3_object["etag"] = s3_object.pop("eTag")
            s3_object["key"] = quote_plus(s3_object["key"], safe="/")
        if functions and self.event_pattern.matches_event(event):  # AWS matches the event as it sends it
            for target in functions:
                deliver = _invoke_event if target["Arn"].split(":")[2] == "lambda" else _start_execution
                args = (self.region_name, target, event)
                threading.Thread(target=deliver, args=args, daemon=True, name="eventbridge-target").start()
        kept = self.targets
        self.targets = [t for t in kept if t not in functions]
        try:
            original(self, original_event, transform_input)
        finally:
            self.targets = kept

    Rule.send_to_targets = send_to_targets


def _invoke_event(region: str, target: dict[str, Any], event: dict[str, Any]) -> None:
    import boto3

    client = boto3.client("lambda", region_name=region)
    client.invoke(FunctionName=target["Arn"], InvocationType="Event", Payload=json.dumps(event).encode())


def _start_execution(region: str, target: dict[str, Any], event: dict[str, Any]) -> None:
    """A state machine target: EventBridge starts an execution as the target's role (its states:StartExecution
    is what the strict IAM checks), under a name of its own (moto's S3 events repeat their ids), with the whole
    event as input."""
    import boto3

    credentials = role_credentials(target["RoleArn"], "events") if STRICT["iam"] and target.get("RoleArn") else {}
    client = boto3.client("stepfunctions", region_name=region, **credentials)
    client.start_execution(stateMachineArn=target["Arn"], name=str(uuid.uuid4()), input=json.dumps(event))


def patch() -> None:
    """Apply this module's patches to moto (once: `moto_extensions.install` guards it)."""
    _lambda_runs_our_handlers()
    _aws_sdk_like_step_functions()
    _filters_that_match_nothing_are_empty()
    _definite_paths_are_values()
    _lambda_service_errors_named()
    _parser_errors_coded()
    _scaled_clock()
    _planned_faults()
    _rules_deliver_to_lambda()
