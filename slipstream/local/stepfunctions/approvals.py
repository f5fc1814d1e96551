"""The approvals API of a manual stage, as API Gateway answers it in the emulated account: the route must be one
the synthesized API has, with AWS_IAM authorization; the caller is the SigV4 signer (here: whoever `sts` says the
given client is), handed to the decision Lambda in `requestContext.identity.userArn`, never read from the body;
the function runs through Lambda (moto, our handler in process) and its answer passes API Gateway's limits."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from slipstream.local.stepfunctions.world import World
from slipstream.local.strict.api_gateway import GatewayAnswer, GatewayLimits, check_response, integration_failure

FORBIDDEN = GatewayAnswer(403, {"Content-Type": "application/json"}, b'{"message": "Missing Authentication Token"}')


def routes(template: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(method, resource path) -> AuthorizationType, from the template's API Gateway resources."""
    resources = {
        k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == "AWS::ApiGateway::Resource"
    }

    def path_of(ref: Any) -> str:
        if isinstance(ref, dict) and "Ref" in ref and ref["Ref"] in resources:
            part = resources[ref["Ref"]]
            return f"{path_of(part['ParentId'])}/{part['PathPart']}"
        return ""  # the API's root resource (Fn::GetAtt RootResourceId)

    found = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::ApiGateway::Method":
            props = resource["Properties"]
            found[(props["HttpMethod"], path_of(props["ResourceId"]) or "/")] = props.get("AuthorizationType", "NONE")
    return found


def call(world: World, method: str, path: str, body: Any = None, *, signer: Any = None) -> GatewayAnswer:
    """`signer`: an STS client with the caller's credentials (default: the deployer's); a None body sends none."""
    resource, parameters = _match(routes(world.synth.templates["pipeline"]), method, path)
    if resource is None:
        return FORBIDDEN  # API Gateway's answer for a route it does not have
    arn = (signer or world.client("sts")).get_caller_identity()["Arn"]  # who signed: API Gateway knows it
    event = {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "pathParameters": parameters or None,
        "queryStringParameters": None,
        "body": None if body is None else (body if isinstance(body, str) else json.dumps(body)),
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": path,
            "requestId": str(uuid.uuid4()),
            "stage": world.synth.stage,
            "identity": {"userArn": arn, "caller": arn, "accountId": arn.split(":")[4]},
        },
    }
    function = world.functions["approval_decision"]
    response = world.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
    result = json.loads(response["Payload"].read())
    if response.get("FunctionError"):
        return integration_failure(f"{result.get('errorType')}: {result.get('errorMessage')}")
    refused = check_response(result, GatewayLimits())
    if refused:
        return refused
    return GatewayAnswer(int(result["statusCode"]), result.get("headers") or {}, str(result.get("body", "")).encode())


def _match(found: dict[tuple[str, str], str], method: str, path: str) -> tuple[str | None, dict[str, str]]:
    for (route_method, resource), authorization in found.items():
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", resource) + "$"
        match = re.match(pattern, path)
        if route_method == method and match:
            if authorization != "AWS_IAM":
                raise AssertionError(f"{method} {resource} is not IAM-authenticated ({authorization})")
            return resource, match.groupdict()
    return None, {}
