"""The local API Gateway: each HTTP request becomes a REST proxy event for the predict Lambda's handler.

Run by `slipstream serve` with the Lambda's environment variables set (see supervisor.py). Like a Lambda
instance, a process runs one invocation at a time (powertools' Logger and Metrics hold per-invocation
state); `--workers` processes share the port the way concurrent Lambda instances share an API.
This process must not import pandas, numpy or scikit-learn: it stands for the Lambda package.
"""

from __future__ import annotations

import argparse
import base64
import threading
from collections.abc import Callable
from typing import Any

from slipstream.serving.events import LocalContext, rest_event
from slipstream.serving.httpbase import KeepAliveHandler, Server, serve_until_interrupted

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def make_request_handler(handler: Handler, max_body_bytes: int) -> type[KeepAliveHandler]:
    lock = threading.Lock()

    class FrontHandler(KeepAliveHandler):
        def _invoke(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > max_body_bytes * 2:  # API Gateway refuses huge payloads before any Lambda runs
                self.send_json(413, {"error": "request body too large", "problems": []})
                self.close_connection = True
                return
            body = self.read_body()
            event = rest_event(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
            try:
                with lock:
                    result = handler(event, LocalContext())
            except Exception:  # API Gateway's answer when the function crashes: 502, no details
                self.send_json(502, {"message": "Internal server error"})
                return
            self._reply(result)

        def _reply(self, result: dict[str, Any]) -> None:
            headers = dict(result.get("headers") or {})
            for name, values in (result.get("multiValueHeaders") or {}).items():
                headers[name] = ", ".join(values)
            raw = result.get("body") or ""
            payload = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
            headers.pop("Content-Length", None)
            self.send(int(result.get("statusCode", 502)), payload, headers)

        def __getattr__(self, name: str) -> Any:
            # Every method (QUERY, TRACE, ...) goes to the handler, as API Gateway's ANY proxy would send it:
            # the resolver answers 404 for what it does not route, never the stdlib's HTML 501.
            if name.startswith("do_"):
                return self._invoke
            raise AttributeError(name)

    return FrontHandler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--max-body-bytes", type=int, default=1_000_000)
    parser.add_argument("--reuse-port", action="store_true")
    args = parser.parse_args()
    from lambdas.predict.handler import handler  # reads its environment at the first request

    server = Server((args.host, args.port), make_request_handler(handler, args.max_body_bytes), args.reuse_port)
    serve_until_interrupted(server, {"listening": f"http://{args.host}:{args.port}"})


if __name__ == "__main__":
    main()
