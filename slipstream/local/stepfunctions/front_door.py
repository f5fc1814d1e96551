"""The serving stack's prediction API, stood up from its synthesized template so that the pipeline's SmokeTest
calls it as on AWS: `https://<api id>.execute-api.<region>.amazonaws.com/<stage>/<route>`.

Stood up: the REST API's id, its stage and API key (moto API Gateway, so the smoke function reads the key's
value with apigateway:GET as on AWS), and the predict function with the environment and role the template
gives it (its table, streams and policies come from capture.py). Answered: an HTTPS request to that host goes
through what API Gateway does in front of a Lambda proxy integration — the route must exist, the API key must
match (or, with IAM auth, the SigV4 signer's role must allow execute-api:Invoke on the method), the body and
the event within the limits of slipstream.local.strict.api_gateway — then the predict function is invoked
through moto's Lambda (its real handler, as its role) and its proxy result comes back as the HTTP answer.

The interception sits in urllib's opener (what slipstream/steps/front_door.py calls), installed for the
emulated account's lifetime: the smoke function's code is the one that runs on AWS.
"""

from __future__ import annotations

import email.message
import io
import json
import urllib.request
import urllib.response
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3

from slipstream.local.serving.events import rest_event
from slipstream.local.stepfunctions.intrinsics import Scope, resolve
from slipstream.local.stepfunctions.moto_extensions.iam import ADMIN, authorize_signed
from slipstream.local.strict.api_gateway import (
    GatewayAnswer,
    GatewayLimits,
    body_too_large,
    check_response,
    event_too_large,
    integration_failure,
    proxy_answer,
)
from slipstream.local.strict.iam import AccessDenied

PREDICT_HANDLER = "lambdas.predict.handler.handler"
LIMITS = GatewayLimits()


@dataclass(frozen=True)
class EmulatedApi:
    api_id: str
    stage: str
    auth: str  # "api_key" | "iam"
    api_key: str | None
    function_name: str
    routes: frozenset[tuple[str, str]]  # (method, "/path")
    region: str
    account: str

    @property
    def host(self) -> str:
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> GatewayAnswer:
        path = urlsplit(target).path
        stage, _, route = path.lstrip("/").partition("/")
        if stage != self.stage or (method, f"/{route}") not in self.routes:
            return _message(403, "Missing Authentication Token")  # what API Gateway answers an unknown route
        if (refused := self._refused(method, f"/{route}", headers)) is not None:
            return refused
        if len(body) > LIMITS.max_body_bytes:
            return body_too_large(LIMITS)
        event = rest_event(method, "/" + route + _query(target), list(headers.items()), body, "127.0.0.1")
        event["requestContext"]["stage"] = self.stage
        if len(json.dumps(event).encode()) > LIMITS.max_event_bytes:
            return event_too_large()
        return self._invoke(event)

    def _refused(self, method: str, route: str, headers: dict[str, str]) -> GatewayAnswer | None:
        lowered = {name.lower(): value for name, value in headers.items()}
        if self.auth == "api_key":
            return None if lowered.get("x-api-key") == self.api_key else _message(403, "Forbidden")
        method_arn = f"arn:aws:execute-api:{self.region}:{self.account}:{self.api_id}/{self.stage}/{method}{route}"
        try:
            authorize_signed(lowered.get("authorization", ""), "execute-api:Invoke", method_arn, self.region)
        except PermissionError:
            return _message(403, "Missing Authentication Token")
        except AccessDenied as denied:  # API Gateway's wording
            return _message(403, f"User: {denied.principal.arn} is not authorized to access this resource")
        return None

    def _invoke(self, event: dict[str, Any]) -> GatewayAnswer:
        client = boto3.client("lambda", region_name=self.region, **ADMIN)  # API Gateway, a service
        response = client.invoke(FunctionName=self.function_name, Payload=json.dumps(event).encode())
        result = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError") or not isinstance(result, dict):
            return integration_failure(str(result)[:500])
        return check_response(result, LIMITS) or proxy_answer(result)


def _message(status: int, text: str) -> GatewayAnswer:
    return GatewayAnswer(status, {"Content-Type": "application/json"}, json.dumps({"message": text}).encode())


def _query(target: str) -> str:
    query = urlsplit(target).query
    return f"?{query}" if query else ""


def deploy_front_door(template: dict[str, Any], scope: Scope, stage: str, create_function: Any) -> EmulatedApi:
    """Stand the API and the predict function up in `scope` (the serving stack's, after capture.py)."""
    apigateway = boto3.client("apigateway", region_name=REGION)
    api_logical = _only(template, "AWS::ApiGateway::RestApi")
    api = apigateway.create_rest_api(name=resolve(template["Resources"][api_logical]["Properties"]["Name"], scope))
    scope.attributes[api_logical] = {"Ref": api["id"], "RootResourceId": api["rootResourceId"]}
    for logical, resource in _of_type(template, "AWS::ApiGateway::Stage"):
        scope.attributes[logical] = {"Ref": resource["Properties"]["StageName"]}
    key_value = None
    for logical, _ in _of_type(template, "AWS::ApiGateway::ApiKey"):
        key = apigateway.create_api_key(name=f"{api['name']}-{logical}", enabled=True)
        scope.attributes[logical] = {"Ref": key["id"]}
        key_value = key["value"]
    function_logical = next(k for k, r in _of_type(template, "AWS::Lambda::Function") if _handler(r) == PREDICT_HANDLER)
    create_function(function_logical, template["Resources"][function_logical], scope)
    emulated = EmulatedApi(
        api_id=api["id"],
        stage=stage,
        auth="api_key" if key_value else "iam",
        api_key=key_value,
        function_name=scope.attributes[function_logical]["Ref"],
        routes=frozenset(_routes(template)),
        region=REGION,
        account=ACCOUNT,
    )
    APIS[emulated.host] = emulated
    return emulated


def _routes(template: dict[str, Any]) -> list[tuple[str, str]]:
    """(method, path) of every method the template declares (the API's resources are one level deep)."""
    resources = template["Resources"]
    found = []
    for _, method in _of_type(template, "AWS::ApiGateway::Method"):
        props = method["Properties"]
        parent = props.get("ResourceId", {})
        logical = parent.get("Ref") if isinstance(parent, dict) else None
        if logical in resources:
            found.append((props["HttpMethod"], "/" + resources[logical]["Properties"]["PathPart"]))
    return found


def _handler(resource: dict[str, Any]) -> str:
    return str(resource["Properties"].get("Handler", ""))


def _only(template: dict[str, Any], kind: str) -> str:
    (logical,) = [k for k, _ in _of_type(template, kind)]
    return logical


def _of_type(template: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [(k, r) for k, r in template["Resources"].items() if r["Type"] == kind]


# --- the interception: urllib's HTTPS for the emulated APIs' hosts ----------------------------------------------
ACCOUNT, REGION = "123456789012", "us-east-1"
APIS: dict[str, EmulatedApi] = {}  # host -> API, for the account alive now


class _ExecuteApiHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        api = APIS.get(req.host)
        if api is None:
            return super().https_open(req)
        body = req.data if isinstance(req.data, bytes) else b""
        answer = api.answer(req.get_method(), req.selector, dict(req.header_items()), body)
        headers = email.message.Message()
        for name, value in answer.headers.items():
            headers[name] = value
        response = urllib.response.addinfourl(io.BytesIO(answer.body), headers, req.full_url, answer.status)
        response.msg = "emulated"  # type: ignore[attr-defined]  # HTTPErrorProcessor reads it
        return response


def install_interception() -> None:
    APIS.clear()
    urllib.request.install_opener(urllib.request.build_opener(_ExecuteApiHandler()))


def remove_interception() -> None:
    APIS.clear()
    urllib.request.install_opener(None)  # urlopen builds its default opener again
