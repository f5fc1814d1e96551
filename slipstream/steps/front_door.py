"""POST /predict through the prediction API, as any caller would: the smoke test's transport.

On AWS the URL is the API Gateway stage's (`https://<api>.execute-api.<region>.amazonaws.com/<stage>/`) and
the request carries the stage's API key, or is signed with SigV4 when the stage uses IAM auth; locally it is
`slipstream serve`'s front server. Standard library only (the smoke Lambda has no `requests`); SigV4 signing
uses botocore, which every Lambda runtime and the laptop have.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from slipstream.documents.smoke import SMOKE_CALLER_ID
from slipstream.steps.smoke_test import Answer


@dataclass(frozen=True)
class FrontDoor:
    url: str  # the API's base URL, ending in "/"
    caller_header: str = "X-Caller-Id"
    api_key: str | None = None
    sigv4_region: str | None = None  # sign with the ambient AWS credentials (IAM auth)
    timeout_seconds: float = 30.0

    @property
    def predict_url(self) -> str:
        return self.url.rstrip("/") + "/predict"

    def post(self, body: dict[str, Any]) -> Answer:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        headers[self.caller_header] = SMOKE_CALLER_ID
        if self.api_key:
            headers["x-api-key"] = self.api_key
        if self.sigv4_region:
            headers = _signed(self.predict_url, data, headers, self.sigv4_region)
        request = urllib.request.Request(self.predict_url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                return _answer(response.status, response.read())
        except urllib.error.HTTPError as error:
            return _answer(error.code, error.read())


def _answer(status: int, raw: bytes) -> Answer:
    text = raw[:2000].decode("utf-8", errors="replace")
    try:
        return status, json.loads(raw), text
    except ValueError:
        return status, None, text


def _signed(url: str, data: bytes, headers: dict[str, str], region: str) -> dict[str, str]:
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise RuntimeError("IAM auth needs AWS credentials, and none were found")
    request = AWSRequest(method="POST", url=url, data=data, headers=headers)
    SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(request)
    return dict(request.headers.items())
