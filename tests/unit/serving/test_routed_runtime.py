"""The front's in-process SageMaker Runtime (routed_runtime.py): what the endpoint server publishes is what the
front routes by, and a real boto3 client gets SageMaker Runtime's answers through it, as over HTTP."""

from __future__ import annotations

import http.server
import json
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from slipstream.local.serving.routed_runtime import RoutedRuntime, SlotGate, SocketServer, publish
from slipstream.local.strict.serverless import HostedEndpoint, ServerlessLimits


class _Container(http.server.BaseHTTPRequestHandler):
    """Stands in for the model container's gunicorn: echoes what it was sent."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if b"drop" in body:  # a worker killed mid-request: the connection closes without an answer
            self.close_connection = True
            return
        answer = json.dumps({"got": json.loads(body), "content_type": self.headers.get("Content-Type")}).encode()
        self.send_response(200 if b"fail" not in body else 500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_: Any) -> None:
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def container(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "gunicorn.sock")
    server = _UnixServer(path, _Container)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path
    server.shutdown()
    server.server_close()


def _client(published: Path) -> Any:
    session = boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1")
    RoutedRuntime(published).register(session.events)
    # Nothing listens on this port: every answer below came through the hook.
    return session.client("sagemaker-runtime", endpoint_url="http://127.0.0.1:9", config=_no_retries())


def _no_retries() -> Any:
    from botocore.config import Config

    return Config(retries={"max_attempts": 1, "mode": "standard"})


def _publish(folder: Path, socket_path: str, max_concurrency: int = 2) -> Path:
    endpoint = HostedEndpoint("ep", SocketServer(socket_path), ServerlessLimits(max_concurrency=max_concurrency), "x")
    publish(folder / "containers.json", {"ep": endpoint})
    return folder / "containers.json"


def test_an_invocation_reaches_the_published_container(tmp_path: Path, container: str) -> None:
    client = _client(_publish(tmp_path, container))
    answer = client.invoke_endpoint(EndpointName="ep", ContentType="application/json", Body=b'{"instances": [1]}')
    assert json.loads(answer["Body"].read()) == {"got": {"instances": [1]}, "content_type": "application/json"}
    assert answer["InvokedProductionVariant"] == "AllTraffic"


def test_sagemaker_runtime_errors_come_through_botocore(tmp_path: Path, container: str) -> None:
    client = _client(_publish(tmp_path, container, max_concurrency=1))
    with pytest.raises(ClientError, match="Endpoint nope of account local not found") as unknown:
        client.invoke_endpoint(EndpointName="nope", Body=b"{}")
    assert unknown.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as failed:
        client.invoke_endpoint(EndpointName="ep", Body=b'"fail"')
    assert failed.value.response["Error"]["Code"] == "ModelError"
    assert failed.value.response["OriginalStatusCode"] == 500
    # Another front process holding the endpoint's only slot: throttled, as SageMaker refuses one past the limit.
    other = SlotGate(tmp_path / "slots", "ep", 1)
    assert other.enter()
    with pytest.raises(ClientError) as throttled:
        client.invoke_endpoint(EndpointName="ep", Body=b"{}")
    assert throttled.value.response["Error"]["Code"] == "ThrottlingException"
    other.leave()
    assert client.invoke_endpoint(EndpointName="ep", Body=b"{}")["Body"].read()


def test_a_gone_container_or_endpoint_server_is_a_connection_error(tmp_path: Path, container: str) -> None:
    client = _client(tmp_path / "containers.json")
    with pytest.raises(EndpointConnectionError):  # nothing published yet: the endpoint server is starting
        client.invoke_endpoint(EndpointName="ep", Body=b"{}")
    _publish(tmp_path, str(tmp_path / "gone.sock"))
    with pytest.raises(EndpointConnectionError):
        client.invoke_endpoint(EndpointName="ep", Body=b"{}")
    published = _publish(tmp_path, container)  # the restarted endpoint server's containers are followed
    assert published.exists() and client.invoke_endpoint(EndpointName="ep", Body=b"{}")["Body"].read()


def test_a_dropped_invocation_is_the_models_502_unless_the_endpoint_server_died(tmp_path: Path, container: str) -> None:
    published = _publish(tmp_path, container)
    client = _client(published)
    with pytest.raises(ClientError) as dropped:  # the endpoint server (here: this process) lives: a worker died
        client.invoke_endpoint(EndpointName="ep", Body=b'"drop"')
    assert dropped.value.response["OriginalStatusCode"] == 502
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    document = json.loads(published.read_text())
    published.write_text(json.dumps({**document, "publisher": int(gone.stdout)}))  # it exited: its containers die
    with pytest.raises(EndpointConnectionError):
        client.invoke_endpoint(EndpointName="ep", Body=b'"drop"')
