"""SageMaker Runtime's routing inside the front process: the predict handler's InvokeEndpoint reaches the model
container without passing through the endpoint server.

The handler's boto3 client still does everything it does on AWS (serialising, SigV4, retries, parsing the
answer and raising botocore's errors); botocore's `before-send` event (how botocore's own Stubber and moto
answer in process) hands the signed request to `invoke_endpoint`, the same SageMaker Runtime rules the
endpoint server applies (payload limit, MaxConcurrency, timeouts, ModelError), which forwards it to the
model container's unix socket on a new connection as the image's nginx does. What it saves: one Python
process and one HTTP round trip per request (docs/performance.md).

The endpoint server still owns the containers (starts, checks, watches them; serve restarts it when one dies)
and publishes where they listen in a small JSON file (`publish`), read again here whenever it changes. A
container that cannot be reached is what a dead endpoint server is to the handler: botocore's
EndpointConnectionError, so the caller gets the same 503 + Retry-After. MaxConcurrency is counted across every
front process with one lock file per slot (a slot held by a process that died is free again at once).
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import urllib.parse
from pathlib import Path
from typing import Any

from slipstream.local.serving.container import ModelUnreachable, Response, invoke_socket
from slipstream.local.strict.serverless import (
    ConcurrencyGate,
    HostedEndpoint,
    ServerlessLimits,
    invoke_endpoint,
    unknown_endpoint,
)

EVENT = "before-send.sagemaker-runtime.InvokeEndpoint"
INVOCATIONS = re.compile(r"/endpoints/([^/]+)/invocations$")


def publish(path: Path, endpoints: dict[str, HostedEndpoint]) -> None:
    """Written by the endpoint server once its containers answer /ping: its pid and, per endpoint, the container's
    socket, MaxConcurrency and log."""
    document = {
        "publisher": os.getpid(),
        "endpoints": {
            name: {"socket": getattr(e.server, "socket_path", ""), "max_concurrency": e.limits.max_concurrency,
                   "logs": e.logs}
            for name, e in endpoints.items()
        },
    }  # fmt: skip
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(document), encoding="utf-8")
    partial.replace(path)  # readers never see half a file


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SocketServer:
    """The ModelServer `invoke_endpoint` calls: one published container socket."""

    def __init__(self, socket_path: str, publisher: int | None = None) -> None:
        self.socket_path, self.publisher = socket_path, publisher

    def invoke(self, body: bytes, headers: dict[str, str], timeout: float) -> Response:
        answer = invoke_socket(self.socket_path, body, headers, timeout)
        # The containers die with their endpoint server: an invocation they dropped because it was killed is an
        # unreachable endpoint (503, as when the front's hop to it broke), not the model's failure (502).
        if answer.status == 502 and self.publisher is not None and not _alive(self.publisher):
            raise ModelUnreachable("the endpoint server exited")
        return answer


class SlotGate(ConcurrencyGate):
    """MaxConcurrency across processes: an invocation holds one of `limit` lock files while it runs."""

    def __init__(self, folder: Path, name: str, limit: int) -> None:
        super().__init__(limit)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._slots = [os.open(folder / f"{name}.{i}", os.O_RDWR | os.O_CREAT, 0o600) for i in range(limit)]
        self._held: list[int] = []

    def enter(self) -> bool:
        for slot in self._slots:
            if slot in self._held:
                continue
            try:
                fcntl.flock(slot, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            self._held.append(slot)
            return True
        return False

    def leave(self) -> None:
        fcntl.flock(self._held.pop(), fcntl.LOCK_UN)


class RoutedRuntime:
    """The `before-send` handler for one front process (one invocation at a time, as a Lambda instance)."""

    def __init__(self, published: Path, account: str = "local") -> None:
        self.published, self.account = published, account
        self._seen: tuple[int, int] | None = None
        self._endpoints: dict[str, HostedEndpoint] = {}
        self._gates: dict[tuple[str, int], SlotGate] = {}  # kept across reloads: one set of lock files each

    def register(self, events: Any) -> None:
        events.register(EVENT, self)

    def __call__(self, request: Any, **_: Any) -> Any:
        from botocore.exceptions import EndpointConnectionError

        match = INVOCATIONS.search(urllib.parse.urlsplit(request.url).path)
        name = urllib.parse.unquote(match.group(1)) if match else ""
        try:
            endpoint = self._endpoint(name)
            if endpoint is None:
                answer = unknown_endpoint(name, self.account)
            else:
                body = request.body if isinstance(request.body, bytes) else (request.body or b"")
                headers = request.headers
                answer = invoke_endpoint(endpoint, body, _header(headers, "Content-Type"), _header(headers, "Accept"),
                                         self.account)  # fmt: skip
        except ModelUnreachable:
            raise EndpointConnectionError(endpoint_url=request.url) from None
        return _aws_response(request.url, answer.status, answer.headers, answer.body)

    def _endpoint(self, name: str) -> HostedEndpoint | None:
        try:
            info = self.published.stat()
            stamp = (info.st_ino, info.st_mtime_ns)  # publish() replaces the file: a new inode each time
        except FileNotFoundError:
            raise ModelUnreachable("the endpoint server has not published its containers") from None
        if stamp != self._seen:
            self._endpoints, self._seen = self._load(), stamp
        return self._endpoints.get(name)

    def _load(self) -> dict[str, HostedEndpoint]:
        try:
            document = json.loads(self.published.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ModelUnreachable("the endpoint server's published containers are unreadable") from None
        try:
            publisher = int(document["publisher"])
            return {name: self._hosted(name, item, publisher) for name, item in document["endpoints"].items()}
        except (AttributeError, KeyError, TypeError, ValueError):
            raise ModelUnreachable("the endpoint server's published containers are malformed") from None

    def _hosted(self, name: str, item: dict[str, Any], publisher: int) -> HostedEndpoint:
        limits = ServerlessLimits(max_concurrency=int(item["max_concurrency"]))
        endpoint = HostedEndpoint(name, SocketServer(str(item["socket"]), publisher), limits, str(item["logs"]))
        key = (name, limits.max_concurrency)
        if key not in self._gates:
            self._gates[key] = SlotGate(self.published.parent / "slots", name, limits.max_concurrency)
        endpoint.gate = self._gates[key]
        return endpoint


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name)
    return value.decode() if isinstance(value, bytes) else value


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Any:
        yield self.getvalue()


def _aws_response(url: str, status: int, headers: dict[str, str], body: bytes) -> Any:
    from botocore.awsrequest import AWSResponse

    return AWSResponse(url, status, {**headers, "Content-Length": str(len(body))}, _Raw(body))
