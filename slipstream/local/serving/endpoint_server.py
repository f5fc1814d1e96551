"""A local SageMaker Runtime: `POST /endpoints/{name}/invocations` answered by each endpoint's model container.

This process is SageMaker's front, not the model: it starts one container per endpoint (container.py:
gunicorn on the image's Python running the image's serving module, which imports inference.py from the
endpoint's submit directory and loads its model), then forwards each invocation to it with serverless
limits and SageMaker Runtime's answers (slipstream.local.strict.serverless), so botocore raises what it
raises on AWS: unknown endpoint -> ValidationError, a failing model -> ModelError (424) with
OriginalStatusCode, too many at once -> ThrottlingException. It never imports a model library.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from slipstream.local.model_checksums import ModelTampered, verify
from slipstream.local.serving.container import ContainerFailed, ModelContainer
from slipstream.local.serving.httpbase import (
    LOOPBACK,
    REQUEST_TIMEOUT,
    KeepAliveHandler,
    Server,
    serve_until_interrupted,
)
from slipstream.local.serving.routed_runtime import publish
from slipstream.local.strict.serverless import HostedEndpoint, ServerlessLimits, invoke_endpoint, unknown_endpoint

INVOCATIONS = re.compile(r"^/endpoints/([^/]+)/invocations$")
ACCOUNT = "local"
DEFAULT_LIMITS = ServerlessLimits()
PUBLISHED = "containers.json"  # beside the spec: where each endpoint's container listens (routed_runtime.py)


def container_environment(version: str) -> dict[str, str]:
    """What the deploy step's CreateModel sets (cdk/pipeline/context.py serving_environment), with local values."""
    return {
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
        "OMP_NUM_THREADS": "1",
        "SLIPSTREAM_MODEL_VERSION": version,
    }


def prepare_base(base: Path, model_dir: Path, code_dir: Path) -> Path:
    """<base>/model and <base>/code as SageMaker lays them out in the container (links: nothing is copied)."""
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    (base / "model").symlink_to(model_dir.resolve(), target_is_directory=True)
    (base / "code").symlink_to(code_dir.resolve(), target_is_directory=True)
    return base


def start_endpoints(
    spec: dict[str, dict[str, Any]], folder: Path, workers: int, limits: ServerlessLimits = DEFAULT_LIMITS
) -> dict[str, HostedEndpoint]:
    """{endpoint: {model_dir, code_dir, version, max_concurrency}} -> started containers, each answering /ping."""
    hosted: dict[str, HostedEndpoint] = {}
    try:
        for name, item in sorted(spec.items()):
            _check_model(name, item)
            base = prepare_base(folder / name, Path(item["model_dir"]), Path(item["code_dir"]))
            container = ModelContainer(base, container_environment(str(item["version"])), workers).start()
            own = replace(limits, max_concurrency=int(item.get("max_concurrency", limits.max_concurrency)))
            hosted[name] = HostedEndpoint(name, container, own, str(container.log_path))
        for endpoint in hosted.values():
            _wait(endpoint)
    except BaseException:
        stop_endpoints(hosted)
        raise
    return hosted


def _check_model(name: str, item: dict[str, Any]) -> None:
    """The files about to be loaded are the ones registered (plan.py recorded their SHA-256 in the spec)."""
    try:
        verify(Path(item["model_dir"]), item.get("sha256", {}), version=str(item["version"]))
    except ModelTampered as error:
        raise SystemExit(f"endpoint {name}: {error}") from None


def _wait(endpoint: HostedEndpoint) -> None:
    container = endpoint.server
    assert isinstance(container, ModelContainer)
    try:
        container.wait_ready(endpoint.limits.ping_timeout)
    except ContainerFailed as error:
        tail = "\n".join(container.log_tail())
        raise SystemExit(f"endpoint {endpoint.name}: the model container did not start ({error}):\n{tail}") from None


def stop_endpoints(hosted: dict[str, HostedEndpoint]) -> None:
    for endpoint in hosted.values():
        if isinstance(endpoint.server, ModelContainer):
            endpoint.server.stop()


def make_request_handler(endpoints: dict[str, HostedEndpoint]) -> type[KeepAliveHandler]:
    class EndpointHandler(KeepAliveHandler):
        def do_GET(self) -> None:
            if self.path == "/ping":
                self.send_json(200, {"status": "Healthy", "endpoints": sorted(endpoints)})
            else:
                self.send_json(404, {"message": f"no route {self.path}"}, {"x-amzn-ErrorType": "UnknownOperation"})

        def do_POST(self) -> None:
            body = self.read_body()
            match = INVOCATIONS.match(self.path.split("?")[0])
            endpoint = endpoints.get(match.group(1)) if match else None
            if endpoint is None:
                answer = unknown_endpoint(match.group(1) if match else self.path, ACCOUNT)
            else:
                answer = invoke_endpoint(
                    endpoint, body, self.headers.get("Content-Type"), self.headers.get("Accept"), ACCOUNT
                )
            self.send(answer.status, answer.body, answer.headers)

    return EndpointHandler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="on 127.0.0.1: this server is internal")
    parser.add_argument("--spec", type=Path, required=True, help="JSON: {endpoint: {model_dir, code_dir, version}}")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per model container")
    parser.add_argument("--request-timeout", type=float, default=REQUEST_TIMEOUT, help="seconds for a whole request")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` must stop the containers too, as Ctrl-C does
    spec = json.loads(args.spec.read_text(encoding="utf-8"))
    endpoints = start_endpoints(spec, args.spec.parent / "containers", args.workers)
    try:
        publish(args.spec.parent / PUBLISHED, endpoints)  # the fronts route to the containers in process
        handler = make_request_handler(endpoints)
        handler.request_timeout = args.request_timeout
        server = Server((LOOPBACK, args.port), handler, reuse_port=False)
        died: list[str] = []
        threading.Thread(target=_watch_containers, args=(endpoints, server, died), daemon=True).start()
        serve_until_interrupted(server, {"listening": f"http://{LOOPBACK}:{args.port}", "endpoints": sorted(endpoints)})
    finally:
        stop_endpoints(endpoints)
    if died:  # serve restarts this whole process: one SageMaker Runtime with fresh containers
        raise SystemExit(f"endpoint {died[0]}: the model container exited; see {endpoints[died[0]].logs}")


def _watch_containers(endpoints: dict[str, HostedEndpoint], server: Server, died: list[str]) -> None:
    while not died:
        for endpoint in endpoints.values():
            container = endpoint.server
            if isinstance(container, ModelContainer) and container.process and container.process.poll() is not None:
                died.append(endpoint.name)
                server.shutdown()
                return
        time.sleep(0.5)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
