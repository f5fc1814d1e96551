"""Run a Lambda function's real handler in this process, with that function's environment, as Lambda would.

moto runs Lambda code only in Docker (or echoes the input without it); our handlers are plain Python, so the
emulation imports them from the repository and calls them. What Lambda adds around a handler is reproduced:
the function's environment variables, a context object, and an error payload shaped like Lambda's.
"""

from __future__ import annotations

import importlib
import os
import threading
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# os.environ is process-wide: one handler at a time. Re-entrant: a handler may call another function on its own
# thread (the smoke test calls the API, whose predict function runs inside it), environment stacked on its own.
_LOCK = threading.RLock()
# handler -> the function whose sandbox its module last ran in: two functions share a handler when one account
# holds two stages, and one function's cached clients (its role's credentials) are not the other's.
_WARM: dict[str, str] = {}


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def invoke_handler(
    handler: str, environment: dict[str, str], event: Any, *, context: LambdaContext, region: str
) -> tuple[Any, bool]:
    """(result, errored). On error the result is Lambda's payload: errorType, errorMessage, stackTrace."""
    # Tracing off (no X-Ray daemon here); logs at WARNING unless asked, so a CLI run stays readable.
    extra = {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("SLIPSTREAM_LAMBDA_LOG_LEVEL", "WARNING"),
    }
    with _LOCK, _environment({**environment, **extra}), _fresh_default_session():
        from lambdas.common.env import load_env

        load_env.cache_clear()  # the env model is cached per cold start; each invocation here is one
        if _WARM.get(handler, context.invoked_function_arn) != context.invoked_function_arn:
            cold_start_all()  # another function's sandbox: nothing cached at module level carries over
        _WARM[handler] = context.invoked_function_arn
        module_name, attribute = handler.rsplit(".", 1)
        function = getattr(importlib.import_module(module_name), attribute)
        try:
            return function(event, context), False
        except Exception as error:  # what Lambda reports for an unhandled exception
            trace = traceback.format_exception(error)
            return {"errorType": type(error).__name__, "errorMessage": str(error), "stackTrace": trace}, True


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _fresh_default_session() -> Iterator[None]:
    """boto3's default session resolves credentials once and keeps them: a handler gets a session of its own,
    which reads the function's role credentials from the environment, as a new Lambda sandbox would. Its
    service models come from the process's one botocore data loader (moto_extensions/costs.py
    `_service_models_read_once`), not read again for every invocation."""
    import boto3

    saved, boto3.DEFAULT_SESSION = boto3.DEFAULT_SESSION, boto3.Session()
    try:
        yield
    finally:
        boto3.DEFAULT_SESSION = saved


def cold_start_all() -> None:
    """A new account: every function starts cold, so no client cached at module level (`@cache def client`) keeps
    the credentials of a role from an account that no longer exists."""
    import sys

    _WARM.clear()
    for name, module in list(sys.modules.items()):
        if name.startswith("lambdas."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
