"""SageMaker Runtime's InvokeEndpoint in front of a serverless endpoint, with the limits and answers AWS gives.

Both local runtimes answer through `invoke_endpoint`: `slipstream serve`'s endpoint server and the emulated
account's InvokeEndpoint. What AWS answers, and where it says so:
- request body over 4 MB: ValidationError (400) "Request <id> has oversize body." (serverless limit, docs
  "Invoke a serverless endpoint"; the code and message as SageMaker answers, aws/sagemaker-python-sdk#4271);
- more concurrent invocations than the endpoint config's ServerlessConfig.MaxConcurrency: ThrottlingException
  (400) with a null message (SageMaker's common errors; opensearch-project/ml-commons#2429);
- no answer from the container within 60 s: ModelError (424) "Received server error (0) from primary with
  message "Your invocation timed out while waiting for a response from container primary. ...""
  (aws-samples/host-yolov8-on-sagemaker-endpoint#21, RamVegiraju/SageMaker-Deployment#3);
- the container answers non-200: ModelError (424) with OriginalStatusCode/OriginalMessage and
  "Received client|server error (<status>) from primary with message "<body>"";
- unknown (or not yet InService) endpoint: ValidationError (400) "Endpoint <name> of account <id> not found."
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

MB = 1024 * 1024
TIMED_OUT = (
    "Your invocation timed out while waiting for a response from container primary. Review the latency metrics "
    "for each container in Amazon CloudWatch, resolve the issue, and try again."
)


@dataclass(frozen=True)
class ServerlessLimits:
    max_payload_bytes: int = 4 * MB
    invocation_timeout: float = 60.0
    ping_timeout: float = 180.0  # the model must load and answer /ping within 3 minutes
    max_concurrency: int = 5  # ServerlessConfig.MaxConcurrency of the endpoint's config


@dataclass
class ConcurrencyGate:
    """Counts invocations in flight; one past the limit is refused at once (SageMaker does not queue)."""

    limit: int
    in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self) -> bool:
        with self._lock:
            if self.in_flight >= self.limit:
                return False
            self.in_flight += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


class ModelServer(Protocol):
    """What InvokeEndpoint needs of the container (slipstream.local.serving.container.ModelContainer)."""

    def invoke(self, body: bytes, headers: dict[str, str], timeout: float) -> Any: ...


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(eq=False)  # identity: a live endpoint is one container, however alike two look
class HostedEndpoint:
    name: str
    server: ModelServer
    limits: ServerlessLimits
    logs: str  # where the container's log is: the message's "See ... for more information"
    gate: ConcurrencyGate = field(init=False)

    def __post_init__(self) -> None:
        self.gate = ConcurrencyGate(self.limits.max_concurrency)


def error(status: int, code: str, message: str | None, **extra: Any) -> Answer:
    request_id = str(uuid.uuid4())
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code, "x-amzn-RequestId": request_id}
    return Answer(status, headers, json.dumps({"message": message, **extra}).encode())


def unknown_endpoint(name: str, account: str) -> Answer:
    return error(400, "ValidationError", f"Endpoint {name} of account {account} not found.")


def invoke_endpoint(
    endpoint: HostedEndpoint, body: bytes, content_type: str | None, accept: str | None, account: str
) -> Answer:
    """The container's answer, or the error SageMaker Runtime gives instead."""
    request_id = str(uuid.uuid4())
    if len(body) > endpoint.limits.max_payload_bytes:
        return error(400, "ValidationError", f"Request {request_id} has oversize body.")
    if not endpoint.gate.enter():
        return error(400, "ThrottlingException", None)
    try:
        # Only what the caller sent: without a ContentType the container sees none (and assumes JSON).
        headers = {name: value for name, value in (("Content-Type", content_type), ("Accept", accept)) if value}
        try:
            answer = endpoint.server.invoke(body, headers, endpoint.limits.invocation_timeout)
        except TimeoutError:
            return _model_error(endpoint, account, 0, TIMED_OUT)
    finally:
        endpoint.gate.leave()
    if answer.status != 200:
        return _model_error(endpoint, account, answer.status, answer.body.decode("utf-8", errors="replace"))
    headers = {"Content-Type": answer.content_type or "application/json", "x-amzn-RequestId": request_id}
    return Answer(200, {**headers, "x-Amzn-Invoked-Production-Variant": "AllTraffic"}, answer.body)


def _model_error(endpoint: HostedEndpoint, account: str, status: int, text: str) -> Answer:
    kind = "client" if 400 <= status < 500 else "server"
    message = (
        f'Received {kind} error ({status}) from primary with message "{text}". '
        f"See {endpoint.logs} in account {account} for more information."
    )
    log_stream = f"arn:aws:logs:local:{account}:log-group:/aws/sagemaker/Endpoints/{endpoint.name}"
    return error(424, "ModelError", message, OriginalStatusCode=status, OriginalMessage=text, LogStreamArn=log_stream)
