"""Trust policies evaluated where AWS evaluates them: when a service is handed a role it will assume.

moto's STS assumes any role for anyone, so a role whose trust policy names the wrong service (or none) would still
run the emulated state machine, function or job. AWS refuses such a role when the resource is created (or its
role changed), in each service's words; so do these hooks, with strict/trust.py deciding. The service principal
is explicit at each hook: Step Functions for a state machine's role, Lambda for a function's, SageMaker for a
job's RoleArn or a model's ExecutionRoleArn.
"""

from __future__ import annotations

from typing import Any

from slipstream.local.stepfunctions.moto_extensions.switches import STRICT
from slipstream.local.strict import trust


def trusted(role_arn: str, assumer: trust.Assumer) -> bool:
    """Whether the role exists in the emulated account and its trust policy lets `assumer` assume it."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[assumer.account]["aws"].get_role_by_arn(role_arn)
    except NotFoundException:
        return False
    return trust.may_assume(role.assume_role_policy_document, role_arn, assumer)


def _state_machines() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.stepfunctions.models import StepFunctionBackend

    message = (
        "Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume "
        "the provided role."
    )

    def check(backend: Any, role_arn: str, machine_arn: str) -> None:
        assumer = trust.Assumer(trust.STATES, backend.region_name, backend.account_id, machine_arn)
        if STRICT["iam"] and not trusted(role_arn, assumer):
            raise JsonRESTError("AccessDeniedException", message)

    create, update = StepFunctionBackend.create_state_machine, StepFunctionBackend.update_state_machine

    def create_state_machine(self, name, definition, roleArn, *args, **kwargs):  # type: ignore[no-untyped-def]
        check(self, roleArn, f"arn:aws:states:{self.region_name}:{self.account_id}:stateMachine:{name}")
        return create(self, name, definition, roleArn, *args, **kwargs)

    def update_state_machine(self, arn, definition=None, role_arn=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        if role_arn:
            check(self, role_arn, arn)
        return update(self, arn, definition, role_arn, *args, **kwargs)

    StepFunctionBackend.create_state_machine = create_state_machine
    StepFunctionBackend.update_state_machine = update_state_machine


def _functions() -> None:
    """CreateFunction stores the function through `put_function`; UpdateFunctionConfiguration sets its Role."""
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaFunction, LambdaStorage

    def check(fn: Any, role_arn: str) -> None:
        assumer = trust.Assumer(trust.LAMBDA, fn.region, fn.account_id, fn.function_arn)
        if STRICT["iam"] and not trusted(role_arn, assumer):
            raise InvalidParameterValueException("The role defined for the function cannot be assumed by Lambda.")

    put, update = LambdaStorage.put_function, LambdaFunction.update_configuration

    def put_function(self, fn):  # type: ignore[no-untyped-def]
        check(fn, fn.role)
        return put(self, fn)

    def update_configuration(self, config_updates):  # type: ignore[no-untyped-def]
        if config_updates.get("Role"):
            check(self, config_updates["Role"])
        return update(self, config_updates)

    LambdaStorage.put_function = put_function
    LambdaFunction.update_configuration = update_configuration


def _sagemaker() -> None:
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import SageMakerModelBackend

    def check(backend: Any, role_arn: str, kind: str, name: str) -> None:
        source = f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:{kind}/{name.lower()}"
        assumer = trust.Assumer(trust.SAGEMAKER, backend.region_name, backend.account_id, source)
        if STRICT["iam"] and not trusted(role_arn, assumer):
            raise ValidationError(
                f"Could not assume role {role_arn}. Please ensure that the role exists and allows principal "
                f"'{trust.SAGEMAKER}' to assume the role."
            )

    hooks = {
        "create_training_job": ("training-job", "training_job_name", "role_arn"),
        "create_processing_job": ("processing-job", "processing_job_name", "role_arn"),
        "create_model": ("model", "model_name", "execution_role_arn"),
    }
    for method, (kind, name_param, role_param) in hooks.items():
        setattr(
            SageMakerModelBackend,
            method,
            _checked(getattr(SageMakerModelBackend, method), check, kind, name_param, role_param),
        )


def _checked(original: Any, check: Any, kind: str, name_param: str, role_param: str) -> Any:
    def method(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        check(self, kwargs[role_param], kind, kwargs[name_param])
        return original(self, *args, **kwargs)

    return method


def patch() -> None:
    """Apply this module's patches to moto (once: `moto_extensions.install` guards it)."""
    _state_machines()
    _functions()
    _sagemaker()
