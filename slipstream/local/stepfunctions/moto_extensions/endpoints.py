"""Serverless endpoints that deploy, serve through the image's container (hosting.py) and stop."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from slipstream.local.stepfunctions import hosting
from slipstream.local.stepfunctions.moto_extensions.core import FAULTS
from slipstream.local.stepfunctions.moto_extensions.iam import client_as
from slipstream.local.strict import model_packages, serverless
from slipstream.local.strict.serverless import HostedEndpoint, ServerlessLimits

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

    from slipstream.local.serving.container import ContainerFailed

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
    and RejectModel only send the status); SageMaker keeps them, and with them the package's run id and lineage.
    Keys a call sends are added or replaced, the others kept: the API removes keys only through
    CustomerMetadataPropertiesToRemove (which moto applies after this merge). The approval description, too,
    stays until a call sends a new one."""
    original = SageMakerModelBackend.update_model_package

    def update_model_package(self, **kwargs):  # type: ignore[no-untyped-def]
        package = self.describe_model_package(kwargs["model_package_arn"])
        kept = {**(package.customer_metadata_properties or {}), **(kwargs.get("customer_metadata_properties") or {})}
        description = kwargs.get("approval_description") or package.approval_description
        update = {"customer_metadata_properties": kept or None, "approval_description": description}
        return original(self, **{**kwargs, **update})

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


def patch() -> None:
    """Apply this module's patches to moto (once: `moto_extensions.install` guards it)."""
    _endpoints_that_deploy_and_serve()
    _approval_keeps_metadata()
    _only_approved_packages_deploy()
