"""The local API Gateway: each HTTP request becomes a REST proxy event for the predict Lambda's handler.

Run by `slipstream serve` with the Lambda's environment variables set (see supervisor.py). Like a Lambda
instance, a process runs one invocation at a time (powertools' Logger and Metrics hold per-invocation
state); `--workers` processes share the port the way concurrent Lambda instances share an API. API
Gateway's and Lambda's limits (payload sizes, the 29 s integration timeout) answer as on AWS
(slipstream.local.strict.api_gateway); the handler's own MAX_BODY_BYTES check comes after them, as there.
This process must not import pandas, numpy or scikit-learn: it stands for the Lambda package.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slipstream.local.serving.events import LocalContext, rest_event
from slipstream.local.serving.httpbase import REQUEST_TIMEOUT, KeepAliveHandler, Server, serve_until_interrupted
from slipstream.local.serving.lambda_instance import LambdaInstance
from slipstream.local.serving.request_length import LengthProblem, declared_length, discard, read_exactly
from slipstream.local.serving.routed_runtime import RoutedRuntime
from slipstream.local.strict.api_gateway import (
    GatewayAnswer,
    GatewayLimits,
    body_too_large,
    check_response,
    event_too_large,
    integration_failure,
    proxy_answer,
    timed_out,
)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


DEFAULT_LIMITS = GatewayLimits()
DRAIN_PAUSE = 1.0  # seconds without a byte before an over-limit body is given up on
ALLOWED = "GET, POST"  # the API's routes (lambdas/predict/api.py)


def run_function(
    lambda_instance: LambdaInstance,
    handler: Handler,
    event: dict[str, Any],
    limits: GatewayLimits,
    answer: Callable[[GatewayAnswer], None],
) -> dict[str, Any] | GatewayAnswer | None:
    """The function's result, or API Gateway's answer instead (event too large, crash, result too large); None
    once `answer` gave the request its 504 (the integration timeout passed)."""
    if len(json.dumps(event).encode()) > limits.max_event_bytes:
        return event_too_large()
    context = LocalContext(timeout_ms=int(limits.integration_timeout * 1000))
    try:
        done, result = lambda_instance.invoke(lambda: handler(event, context), lambda: answer(timed_out()))
    except Exception as error:  # the function crashed: API Gateway's 502, no details
        return integration_failure(f"{type(error).__name__}: {error}")
    if not done:
        return None
    return check_response(result, limits) or result


def read_body(request: Any, limits: GatewayLimits) -> bytes | None:
    """The request's body, or None once `request` answered itself: bad framing (4xx), a body over the gateway's
    limit (413, drained so the client reads it), or a body that stopped arriving (408 at the socket timeout)."""
    try:
        length = declared_length(request.headers)
        if length > limits.max_body_bytes:
            request.close_connection = True
            # Drained so a client still sending reads the 413, not a reset; one that stops sending gets it
            # after DRAIN_PAUSE, as API Gateway answers at once from the Content-Length.
            with contextlib.suppress(OSError):
                discard(request.body_reader(pause=DRAIN_PAUSE), length)
            request.send_answer(body_too_large(limits))
            return None
        return read_exactly(request.body_reader(), length)
    except LengthProblem as problem:
        request.close_connection = True  # the connection's framing cannot be trusted any more
        request.send_answer(problem.answer())
    except TimeoutError as error:  # a pause past the socket timeout, or the whole request past its deadline
        request.send_error_json(408, "request timeout", request.timeout_detail(error))
    return None


def make_request_handler(
    handler: Handler, limits: GatewayLimits = DEFAULT_LIMITS, request_timeout: float = REQUEST_TIMEOUT
) -> type[KeepAliveHandler]:
    # One invocation at a time, which outlives a timed-out request (as a Lambda instance runs on after API
    # Gateway gave up): the next request waits for it, as it would wait for a free instance.
    lambda_instance = LambdaInstance(limits.integration_timeout)

    class FrontHandler(KeepAliveHandler):
        def _invoke(self) -> None:
            body = read_body(self, limits)
            if body is None:
                return  # answered already: the framing was bad, too large, or the body stopped arriving
            event = rest_event(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
            result = run_function(lambda_instance, handler, event, limits, self.send_answer)
            if result is not None:  # else answered already: the 504 of the integration timeout
                self.send_answer(result if isinstance(result, GatewayAnswer) else proxy_answer(result))

        def send_answer(self, answer: GatewayAnswer) -> None:
            if answer.log:
                print(json.dumps({"api_gateway": answer.log, "status": answer.status}), file=sys.stderr, flush=True)
            self.send(answer.status, answer.body, answer.headers)

        def _not_allowed(self) -> None:
            # API Gateway never proxies TRACE or CONNECT (echoing headers back is an attack, not a feature).
            detail = f"{self.command} is not allowed; use {ALLOWED}"
            self.send_error_json(405, "method not allowed", detail, {"Allow": ALLOWED})

        def __getattr__(self, name: str) -> Any:
            # Every other method (QUERY, PATCH, ...) goes to the handler, as API Gateway's ANY proxy would send
            # it: the resolver answers 404 for what it does not route, never the stdlib's HTML 501.
            if name in ("do_TRACE", "do_CONNECT"):
                return self._not_allowed
            if name.startswith("do_"):
                return self._invoke
            raise AttributeError(name)

    FrontHandler.request_timeout = request_timeout
    return FrontHandler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--integration-timeout", type=float, default=GatewayLimits.integration_timeout)
    parser.add_argument("--reuse-port", action="store_true")
    parser.add_argument("--request-timeout", type=float, default=REQUEST_TIMEOUT, help="seconds for a whole request")
    parser.add_argument("--routed-runtime", type=Path, help="the endpoint server's containers.json: InvokeEndpoint "
                        "answered in this process by SageMaker Runtime's rules (routed_runtime.py)")  # fmt: skip
    args = parser.parse_args()
    if args.routed_runtime:
        import boto3

        boto3.setup_default_session()  # the session the handler's boto3.client() uses
        RoutedRuntime(args.routed_runtime).register(boto3.DEFAULT_SESSION.events)
    from lambdas.predict.handler import handler  # reads its environment at the first request

    server = Server(
        (args.host, args.port),
        make_request_handler(
            handler, GatewayLimits(integration_timeout=args.integration_timeout), request_timeout=args.request_timeout
        ),
        args.reuse_port,
    )
    serve_until_interrupted(server, {"listening": f"http://{args.host}:{args.port}"})


if __name__ == "__main__":
    main()
