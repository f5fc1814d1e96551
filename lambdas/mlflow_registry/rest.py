"""MLflow's REST API (https://mlflow.org/docs/latest/rest-api.html) with the standard library and botocore, which
the Lambda runtime has: the MLflow client needs numpy, pandas and SQLAlchemy, far beyond Lambda's 250 MB
unzipped without a container image. A SageMaker managed MLflow tracking server is reached as its own
`sagemaker-mlflow` plugin does: `https://<region>.experiments.sagemaker.aws`, the server's ARN in the
`x-mlflow-sm-tracking-server-arn` header, SigV4 for the `sagemaker-mlflow` service."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

SIGV4_SERVICE = "sagemaker-mlflow"
ARN_HEADER = "x-mlflow-sm-tracking-server-arn"


class MlflowError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"MLflow {status} {code}: {message}")
        self.status, self.code = status, code


class MlflowRest:
    def __init__(self, tracking_uri: str, *, credentials: Any = None, timeout: float = 10.0) -> None:
        self.arn = tracking_uri if tracking_uri.startswith("arn:") else None
        if self.arn:
            _, partition, _, region, *_ = self.arn.split(":")
            self.base = f"https://{region}.experiments.sagemaker.{'aws' if partition.startswith('aws') else partition}"
            self.region = region
        else:
            self.base = tracking_uri.rstrip("/")
        self.credentials, self.timeout = credentials, timeout

    def call(self, method: str, endpoint: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """`endpoint` under /api/2.0/mlflow/; GET bodies go in the query string, as MLflow's client sends them."""
        url = f"{self.base}/api/2.0/mlflow/{endpoint}"
        data = None
        if method == "GET" and body:
            url += "?" + urllib.parse.urlencode(body).replace("+", "%20")
        elif body is not None:
            data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self.arn:
            headers = self._signed(method, url, data, {**headers, ARN_HEADER: self.arn})
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise _error(error) from None

    def _signed(self, method: str, url: str, data: bytes | None, headers: dict[str, str]) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        request = AWSRequest(method=method, url=url, data=data, headers=headers)
        SigV4Auth(self.credentials, SIGV4_SERVICE, self.region).add_auth(request)
        return dict(request.headers.items())


def _error(error: urllib.error.HTTPError) -> MlflowError:
    try:
        detail = json.loads(error.read() or b"{}")
    except ValueError:
        detail = {}
    return MlflowError(error.code, detail.get("error_code", "HTTP_ERROR"), detail.get("message", str(error.reason)))
