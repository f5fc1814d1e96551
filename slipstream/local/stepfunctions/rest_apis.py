"""The stacks' REST APIs, stood up from their synthesized templates and answered as API Gateway answers them:
the serving stack's prediction API (the pipeline's SmokeTest calls it as a caller would) and a manual stage's
approvals API (`slipstream approve` calls it), at `https://<api id>.execute-api.<region>.amazonaws.com/<stage>/`.

Stood up: each API's id and stage, its API key (moto API Gateway, so the smoke function reads the key's value
with apigateway:GET as on AWS), and the functions its methods integrate (with the environment and role their
templates give them). Answered: an HTTPS request to that host goes through what API Gateway does in front of
a Lambda proxy integration — the route must be one the template declares (path parameters included), the API
key must match when the method requires one, a SigV4 signature's role must allow execute-api:Invoke on the
method when it is AWS_IAM (the signer reaches the function as `requestContext.identity.userArn`), the body and
the event within the limits of slipstream.local.strict.api_gateway — then the function is invoked through
moto's Lambda (its real handler, as its role) and its proxy result comes back as the HTTP answer.

The interception sits in urllib's opener (what slipstream/steps/front_door.py and the CLI call), installed for
the emulated account's lifetime: the callers' code is the one that runs against AWS.
"""

from __future__ import annotations

import email.message
import io
import json
import re
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

LIMITS = GatewayLimits()


@dataclass(frozen=True)
class Route:
    method: str
    resource: str  # the template path, e.g. "/approvals/{run_id}"
    authorization: str  # "NONE" | "AWS_IAM"
    api_key_required: bool
    function_name: str

    def match(self, method: str, path: str) -> dict[str, str] | None:
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.resource) + "$"
        found = re.match(pattern, path) if method == self.method else None
        return found.groupdict() if found else None


@dataclass(frozen=True)
class EmulatedApi:
    api_id: str
    stage: str
    api_key: str | None
    routes: tuple[Route, ...]
    region: str
    account: str

    @property
    def host(self) -> str:
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    @property
    def url(self) -> str:
        return f"https://{self.host}/{self.stage}/"

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> GatewayAnswer:
        stage, _, rest = urlsplit(target).path.lstrip("/").partition("/")
        path = "/" + rest
        found = [(route, params) for route in self.routes if (params := route.match(method, path)) is not None]
        if stage != self.stage or not found:
            return _message(403, "Missing Authentication Token")  # what API Gateway answers an unknown route
        route, parameters = found[0]
        lowered = {name.lower(): value for name, value in headers.items()}
        caller = self._caller(route, lowered)
        if isinstance(caller, GatewayAnswer):
            return caller
        if len(body) > LIMITS.max_body_bytes:
            return body_too_large(LIMITS)
        event = rest_event(method, path + _query(target), list(headers.items()), body, "127.0.0.1")
        event.update(resource=route.resource, pathParameters=parameters or None)
        event["requestContext"].update(stage=self.stage, resourcePath=route.resource)
        if caller:
            event["requestContext"]["identity"].update(userArn=caller, caller=caller, accountId=self.account)
        if len(json.dumps(event).encode()) > LIMITS.max_event_bytes:
            return event_too_large()
        return _invoke(route.function_name, event, self.region)

    def _caller(self, route: Route, headers: dict[str, str]) -> str | GatewayAnswer | None:
        """The signer's ARN (AWS_IAM), None (no IAM auth), or API Gateway's refusal."""
        if route.api_key_required and headers.get("x-api-key") != self.api_key:
            return _message(403, "Forbidden")
        if route.authorization != "AWS_IAM":
            return None
        api = f"arn:aws:execute-api:{self.region}:{self.account}:{self.api_id}"
        method_arn = f"{api}/{self.stage}/{route.method}{route.resource}"
        try:
            return authorize_signed(headers.get("authorization", ""), "execute-api:Invoke", method_arn, self.region)
        except PermissionError:
            return _message(403, "Missing Authentication Token")
        except AccessDenied as denied:  # API Gateway's wording
            return _message(403, f"User: {denied.principal.arn} is not authorized to access this resource")


def _invoke(function_name: str, event: dict[str, Any], region: str) -> GatewayAnswer:
    client = boto3.client("lambda", region_name=region, **ADMIN)  # API Gateway, a service
    response = client.invoke(FunctionName=function_name, Payload=json.dumps(event).encode())
    result = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError") or not isinstance(result, dict):
        return integration_failure(str(result)[:500])
    return check_response(result, LIMITS) or proxy_answer(result)


def _message(status: int, text: str) -> GatewayAnswer:
    return GatewayAnswer(status, {"Content-Type": "application/json"}, json.dumps({"message": text}).encode())


def _query(target: str) -> str:
    query = urlsplit(target).query
    return f"?{query}" if query else ""


def deploy_apis(template: dict[str, Any], scope: Scope, stage: str, create_function: Any) -> list[EmulatedApi]:
    """Stand every REST API of one stack's template up in `scope`, with the functions its methods integrate
    (created here unless the stack already created them)."""
    apigateway = boto3.client("apigateway", region_name=REGION)
    apis = []
    for api_logical, resource in _of_type(template, "AWS::ApiGateway::RestApi"):
        api = apigateway.create_rest_api(name=resolve(resource["Properties"]["Name"], scope))
        scope.attributes[api_logical] = {"Ref": api["id"], "RootResourceId": api["rootResourceId"]}
        key_value = None
        for logical, _ in _of_type(template, "AWS::ApiGateway::ApiKey"):
            key = apigateway.create_api_key(name=f"{api['name']}-{logical}", enabled=True)
            scope.attributes[logical] = {"Ref": key["id"]}
            key_value = key["value"]
        for logical, stage_resource in _of_type(template, "AWS::ApiGateway::Stage"):
            if stage_resource["Properties"]["RestApiId"] == {"Ref": api_logical}:
                scope.attributes[logical] = {"Ref": stage_resource["Properties"]["StageName"]}
        routes = tuple(_routes(template, api_logical, scope, create_function))
        emulated = EmulatedApi(api["id"], stage, key_value, routes, REGION, ACCOUNT)
        APIS[emulated.host] = emulated
        apis.append(emulated)
    return apis


def _routes(template: dict[str, Any], api: str, scope: Scope, create_function: Any) -> list[Route]:
    resources = template["Resources"]

    def path_of(ref: Any) -> str:
        if isinstance(ref, dict) and ref.get("Ref") in resources:
            part = resources[ref["Ref"]]["Properties"]
            return f"{path_of(part['ParentId'])}/{part['PathPart']}"
        return ""  # the API's root resource (Fn::GetAtt RootResourceId)

    found = []
    for _, method in _of_type(template, "AWS::ApiGateway::Method"):
        props = method["Properties"]
        functions = re.findall(r'"Fn::GetAtt": \["(\w+)", "Arn"\]', json.dumps(props.get("Integration", {})))
        if props["RestApiId"] != {"Ref": api} or not functions:
            continue  # another API's, or a mock integration (CORS)
        if not _created(scope, functions[0]):
            create_function(functions[0], resources[functions[0]], scope)
        found.append(
            Route(
                method=props["HttpMethod"],
                resource=path_of(props["ResourceId"]) or "/",
                authorization=props.get("AuthorizationType", "NONE"),
                api_key_required=bool(props.get("ApiKeyRequired")),
                function_name=scope.attributes[functions[0]]["Ref"],
            )
        )
    return found


def _created(scope: Scope, logical: str) -> bool:
    """Created by the emulation, not the stand-in ARN world.py gives what a policy names before it exists."""
    return not scope.attributes.get(logical, {}).get("Ref", "arn:aws:local:").startswith("arn:aws:local:")


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
