"""The pipeline's SmokeTest calls the prediction API as a caller does: the serving stack exports the API's URL,
id and key id by name, the pipeline stack imports them (and deploys after serving), and the smoke function may
read that one key (API key auth) or invoke POST /predict alone (IAM auth)."""

from __future__ import annotations

import json

from aws_cdk.assertions import Template

from tests.infra.conftest import INFRA_GROUP

pytestmark = INFRA_GROUP
PREFIX = "breast-cancer-dev"


def _smoke_function(template: dict) -> dict:
    (function,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
        and r["Properties"].get("Handler") == "lambdas.smoke_test.handler.handler"
    ]
    return function


def _policies_of(template: dict, role_prefix: str) -> list[dict]:
    return [
        s
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and r["Properties"]["Roles"][0]["Ref"].startswith(role_prefix)
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_serving_stack_exports_what_the_smoke_test_imports(synthesized):
    templates = synthesized.templates
    exported = {o["Export"]["Name"] for o in templates["serving"]["Outputs"].values() if "Export" in o}
    env = _smoke_function(templates["pipeline"])["Properties"]["Environment"]["Variables"]
    imported = {value["Fn::ImportValue"] for value in env.values() if isinstance(value, dict)}
    assert imported == {f"{PREFIX}-serving-api-url", f"{PREFIX}-serving-api-key-id"} <= exported | imported
    assert imported <= exported
    assert env["API_AUTH"] == "api_key"


def test_the_pipeline_deploys_after_the_serving_stack(synthesized):
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    pipeline = manifest["artifacts"][synthesized.stack_names["pipeline"]]
    assert synthesized.stack_names["serving"] in pipeline["dependencies"]


def test_the_smoke_function_may_read_the_api_key_and_nothing_else_of_api_gateway(synthesized):
    statements = _policies_of(synthesized.templates["pipeline"], "FunctionsSmokeTest")
    gateway = [s for s in statements if any(a.startswith("apigateway:") for a in _listed(s["Action"]))]
    (grant,) = gateway
    assert grant["Action"] == "apigateway:GET"
    resource = json.dumps(grant["Resource"])
    assert "/apikeys/" in resource and f"{PREFIX}-serving-api-key-id" in resource


def test_the_champions_smoke_test_goes_through_the_api_and_checks_the_new_version(definition):
    payload = definition["States"]["SmokeTest"]["Parameters"]  # payload_response_only: the payload itself
    assert payload["via"] == "api" and payload["model_version.$"] == "$.registered.version"


def test_with_iam_auth_the_smoke_function_signs_and_may_invoke_post_predict_only(tmp_path):
    """A bare stack with the pipeline's functions, as `api_auth = "iam"` builds them."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3

    from cdk.pipeline.functions import PipelineFunctions
    from cdk.shared.front_door import FrontDoorExports
    from tests.infra.conftest import stage_settings

    stack = Stack(App(outdir=str(tmp_path)), "Functions")
    bucket = s3.Bucket(stack, "Bucket")
    PipelineFunctions(
        stack,
        "Functions",
        settings=stage_settings(api_auth="iam"),
        data_bucket=bucket,
        artifact_bucket=bucket,
        runs_prefix="runs/",
        deployment_key="deployment/deployment.json",
        data_ref="data",
        artifact_ref="artifacts",
        front_door=FrontDoorExports(PREFIX),
    )
    template = Template.from_stack(stack).to_json()
    env = _smoke_function(template)["Properties"]["Environment"]["Variables"]
    assert env["API_AUTH"] == "iam" and "API_KEY_ID" not in env
    statements = _policies_of(template, "FunctionsSmokeTest")
    (invoke,) = [s for s in statements if s["Action"] == "execute-api:Invoke"]
    resource = json.dumps(invoke["Resource"])
    assert f"{PREFIX}-serving-api-id" in resource and resource.endswith('/dev/POST/predict"]]}')
    assert not [s for s in statements if "apigateway:GET" in _listed(s["Action"])]


def _listed(value) -> list[str]:
    return value if isinstance(value, list) else [value]
