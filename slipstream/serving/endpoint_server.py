"""A local SageMaker Runtime: `POST /endpoints/{name}/invocations` answered by inference.py, `GET /ping`.

Each hosted endpoint is a registered model version in the SageMaker layout; its own shipped
code/inference.py is loaded (as the scikit-learn container would), and `handle_request` runs
input_fn -> predict_fn -> output_fn. Errors are answered the way SageMaker Runtime answers them, so
botocore raises the same exceptions as on AWS: unknown endpoint -> ValidationException (400), a failing
model -> ModelError (424) with OriginalStatusCode.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

from slipstream.serving.httpbase import KeepAliveHandler, Server, serve_until_interrupted

INVOCATIONS = re.compile(r"^/endpoints/([^/]+)/invocations$")


class HostedModel:
    def __init__(self, model_dir: Path, version: str, module_name: str) -> None:
        self.module = _load_inference(model_dir / "code" / "inference.py", module_name)
        self.model = self.module.model_fn(str(model_dir))
        self.model["model_version"] = version  # what SLIPSTREAM_MODEL_VERSION does for a real endpoint
        self.version = version

    def invoke(self, body: bytes, content_type: str, accept: str | None) -> tuple[str, str]:
        return self.module.handle_request(self.model, body, content_type, accept)


def _load_inference(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_endpoints(spec: dict[str, dict[str, str]]) -> dict[str, HostedModel]:
    """{endpoint name: {"model_dir", "version"}} -> the loaded models."""
    return {
        name: HostedModel(Path(item["model_dir"]), str(item["version"]), f"inference_{index}")
        for index, (name, item) in enumerate(sorted(spec.items()))
    }


def make_request_handler(endpoints: dict[str, HostedModel]) -> type[KeepAliveHandler]:
    class EndpointHandler(KeepAliveHandler):
        def do_GET(self) -> None:
            if self.path == "/ping":
                self.send_json(200, {"status": "Healthy", "endpoints": sorted(endpoints)})
            else:
                self._error(404, "UnknownOperationException", f"no route {self.path}")

        def do_POST(self) -> None:
            body = self.read_body()
            match = INVOCATIONS.match(self.path.split("?")[0])
            hosted = endpoints.get(match.group(1)) if match else None
            if hosted is None:
                name = match.group(1) if match else self.path
                self._error(400, "ValidationException", f"Endpoint {name} of account local not found.")
                return
            try:
                answer, content_type = hosted.invoke(
                    body, self.headers.get("Content-Type", ""), self.headers.get("Accept")
                )
            except Exception as error:  # the model's own status (400/415/500) travels as OriginalStatusCode
                status = getattr(error, "status_code", 500)
                message = str(error) if status < 500 else "the model raised an error (see the endpoint log)"
                extra = {"OriginalStatusCode": status, "OriginalMessage": message}
                self._error(424, "ModelError", f"Received client error ({status}) from model", extra)
                return
            headers = {"Content-Type": content_type, "x-Amzn-Invoked-Production-Variant": "AllTraffic"}
            self.send(200, answer.encode(), {**headers, "x-amzn-RequestId": str(uuid.uuid4())})

        def _error(self, status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> None:
            headers = {"x-amzn-ErrorType": code, "x-amzn-RequestId": str(uuid.uuid4())}
            self.send_json(status, {"message": message, **(extra or {})}, headers)

    return EndpointHandler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--spec", type=Path, required=True, help="JSON: {endpoint: {model_dir, version}}")
    parser.add_argument("--reuse-port", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # single rows: threads only contend (DESIGN.md)
    endpoints = load_endpoints(json.loads(args.spec.read_text(encoding="utf-8")))
    server = Server((args.host, args.port), make_request_handler(endpoints), args.reuse_port)
    serve_until_interrupted(server, {"listening": f"http://{args.host}:{args.port}", "endpoints": sorted(endpoints)})


if __name__ == "__main__":
    main()
