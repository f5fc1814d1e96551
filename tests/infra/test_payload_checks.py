"""The synth-time checks of the pipeline Lambdas' payloads and of the paths that read their results.

Each case builds one LambdaInvoke (or a two-state chain) in a bare stack: no app synthesis, well under a second.
"""

from __future__ import annotations

from dataclasses import fields

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn

from cdk.pipeline.common import Guard
from cdk.pipeline.context import PipelineContext
from cdk.pipeline.payloads import PayloadError, check_definition, read_paths
from cdk.pipeline.results import EXECUTION, GATE, RESULTS, SMOKE, VALIDATION
from slipstream.documents.gate import CardSources, GateRequest
from slipstream.documents.record import RecordRequest
from slipstream.documents.run import RunRequest

JSON = sfn.JsonPath


@pytest.fixture
def ctx() -> PipelineContext:
    """A context with only what `invoke` uses: a stack and a guard (the rest is the real app's business)."""
    stack = Stack(App(), "PayloadChecks")
    unused = {f.name: None for f in fields(PipelineContext) if f.name not in ("scope", "guard")}
    return PipelineContext(scope=stack, guard=Guard(on_failure=sfn.Pass(stack, "Failed")), **unused)


@pytest.fixture
def function(ctx) -> lambda_.IFunction:
    return lambda_.Function.from_function_arn(ctx.scope, "Fn", "arn:aws:lambda:us-east-1:111111111111:function:gate")


def gate_payload(**changes):
    payload = {
        "run_id": JSON.string_at("$.run_id"),
        "evaluation_uri": JSON.string_at("$.paths.evaluation_uri"),
        "card": {name: JSON.string_at("$.run_id") for name in CardSources.model_fields},
    }
    return {k: v for k, v in {**payload, **changes}.items() if v is not None}


def test_a_payload_that_builds_the_request_gives_the_task(ctx, function):
    task = ctx.invoke("QualityGate", function, GateRequest, gate_payload(), GATE)
    state = task.to_state_json()
    assert state["ResultPath"] == "$.gate"
    card = {f"{name}.$": "$.run_id" for name in CardSources.model_fields}
    assert state["Parameters"] == {"run_id.$": "$.run_id", "evaluation_uri.$": "$.paths.evaluation_uri", "card": card}


def test_a_key_the_request_does_not_have_fails_naming_state_key_and_model(ctx, function):
    with pytest.raises(PayloadError, match=r"QualityGate: .*GateRequest.*key 'evaluation' is not a field"):
        ctx.invoke("QualityGate", function, GateRequest, gate_payload(evaluation="s3://x/e.json"), GATE)


def test_a_missing_required_field_fails(ctx, function):
    with pytest.raises(PayloadError, match=r"QualityGate: .*required field 'evaluation_uri' of GateRequest"):
        ctx.invoke("QualityGate", function, GateRequest, gate_payload(evaluation_uri=None), GATE)


def test_a_nested_document_is_checked_too(ctx, function):
    payload = {"run_id": "r1", "data": {"bucket": "b", "prefix": "incoming/"}}
    with pytest.raises(PayloadError, match=r"key 'data.prefix' is not a field of DataLocation.*'data.key'"):
        ctx.invoke("ValidateData", function, RunRequest, payload, VALIDATION)


def test_a_payload_reading_a_field_the_result_lacks_fails(ctx, function):
    payload = gate_payload(evaluation_uri=JSON.string_at("$.validation.evaluation_uri"))
    with pytest.raises(PayloadError, match=r"\$\.validation\.evaluation_uri: ValidationOutput has no field"):
        ctx.invoke("QualityGate", function, GateRequest, payload, GATE)


def test_a_path_inside_an_intrinsic_is_checked(ctx, function):
    payload = gate_payload(evaluation_uri=JSON.format("s3://{}/e.json", JSON.string_at("$.data.bucke")))
    with pytest.raises(PayloadError, match=r"\$\.data\.bucke: DataLocation has no field 'bucke'"):
        ctx.invoke("QualityGate", function, GateRequest, payload, GATE)


def test_a_document_handed_to_a_field_of_another_type_fails(ctx, function):
    payload = {name: JSON.string_at(f"$.x.{name}") for name in RecordRequest.model_fields}
    payload["gate"] = JSON.object_at(SMOKE.path)
    with pytest.raises(PayloadError, match=r"'gate' reads \$\.smoke \(SmokeResult\), but the field is GateDecision"):
        ctx.invoke("RecordDeployment", function, RecordRequest, payload, GATE)


def test_result_field_names_the_path_or_fails_on_a_field_the_model_lacks():
    assert GATE.field("passed") == "$.gate.passed"
    assert EXECUTION.field("data", "key") == "$.data.key"
    with pytest.raises(PayloadError, match=r"\$\.gate\.pased: GateDecision has no field 'pased' \(fields: passed, "):
        GATE.field("pased")


def _choice_on(ctx, function, variable: str) -> sfn.IChainable:
    paths = sfn.Pass(ctx.scope, "RunPaths", result_path="$.paths", parameters={"evaluation_uri": "s3://a/e.json"})
    gate = ctx.invoke("QualityGate", function, GateRequest, gate_payload(), GATE)
    choice = sfn.Choice(ctx.scope, "GatePassed")
    choice.when(sfn.Condition.boolean_equals(variable, True), sfn.Succeed(ctx.scope, "Deploy"))
    choice.otherwise(sfn.Succeed(ctx.scope, "Keep"))
    return paths.next(gate).next(choice)


def test_a_definition_reading_the_results_it_has_passes(ctx, function):
    check_definition(_choice_on(ctx, function, "$.gate.passed"), RESULTS)


def test_a_choice_on_a_field_the_result_lacks_fails(ctx, function):
    with pytest.raises(PayloadError, match=r"GatePassed: reads \$\.gate\.passd: GateDecision has no field 'passd'"):
        check_definition(_choice_on(ctx, function, "$.gate.passd"), RESULTS)


def test_a_read_of_something_no_state_writes_fails(ctx, function):
    with pytest.raises(PayloadError, match=r"GatePassed: reads \$\.gates\.passed, but neither the execution input"):
        check_definition(_choice_on(ctx, function, "$.gates.passed"), RESULTS)


def test_read_paths_skip_the_context_object_and_the_task_result():
    state = {
        "Parameters": {"a.$": "States.Format('{}-{}', $.run_id, $$.Execution.Id)", "b": "$.literal"},
        "ResultSelector": {"c.$": "$.Payload"},
        "ResultPath": "$.gate",
    }
    assert read_paths(state) == ["$.run_id"]
