"""`slipstream approve|reject|approvals`: bad input is a message and exit 2, before any AWS call."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from slipstream.cli.main import app


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["reject", "--stage", "prod", "run-1"], "--reason is required to reject"),
        (["reject", "--stage", "prod", "run-1", "--reason", "  "], "--reason is required to reject"),
        (["approve", "--stage", "qa", "run-1"], "--stage 'qa': one of dev, staging, prod"),
        (["approvals", "--stage", "nowhere"], "--stage 'nowhere'"),
    ],
)
def test_bad_input_exits_2_with_a_message(args, said, monkeypatch):
    monkeypatch.setattr("boto3.Session", lambda *a, **k: pytest.fail("no AWS call on bad input"))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert said in result.output and "Traceback" not in result.output


def test_requests_are_sigv4_signed_for_execute_api():
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import boto3

    from slipstream.cli.approve import signed_request

    seen: dict = {}

    class Api(BaseHTTPRequestHandler):
        def do_POST(self):
            seen["authorization"] = self.headers["Authorization"]
            seen["body"] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(409)
            self.end_headers()
            self.wfile.write(b'{"title": "already decided"}')

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.handle_request, daemon=True).start()
    session = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x", region_name="eu-west-1")
    url = f"http://127.0.0.1:{server.server_port}/prod/approvals/run-1"
    status, body = signed_request(session, "POST", url, {"decision": "approve", "reason": ""})
    server.server_close()
    assert status == 409 and body == {"title": "already decided"}
    assert seen["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in seen["authorization"]
    assert seen["body"] == {"decision": "approve", "reason": ""}
