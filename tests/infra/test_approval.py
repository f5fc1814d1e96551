"""`approval = "manual"`: the approvals API is IAM-authenticated on every method, its Lambda holds only what it
needs, WaitForApproval is a task-token wait with the configured timeout right after Register, and an auto stage
has none of it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from tests.infra.conftest import INFRA_GROUP

pytestmark = INFRA_GROUP
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def synth():
    from slipstream.config import parse_config
    from slipstream.local.stepfunctions.synth import synthesize

    raw = tomllib.loads((REPO / "slipstream.toml").read_text())
    raw.setdefault("stages", {})["dev"] = {"approval": "manual", "approval_timeout_hours": 24}
    return synthesize(parse_config(raw, base_dir=REPO))


def _of_type(template, kind):
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def _policy_of(template, role_prefix):
    statements = []
    for policy in _of_type(template, "AWS::IAM::Policy").values():
        roles = json.dumps(policy["Properties"]["Roles"])
        if role_prefix in roles:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_every_approvals_method_needs_sigv4(synth):
    methods = _of_type(synth.templates["pipeline"], "AWS::ApiGateway::Method")
    assert len(methods) == 2
    assert {m["Properties"]["HttpMethod"] for m in methods.values()} == {"GET", "POST"}
    assert all(m["Properties"]["AuthorizationType"] == "AWS_IAM" for m in methods.values())
    assert "ApprovalsApiUrl" in synth.templates["pipeline"]["Outputs"]


def test_the_decision_lambda_may_resume_tasks_and_touch_approvals_only(synth):
    statements = _policy_of(synth.templates["pipeline"], "ApprovalDecisionRole")
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"states:SendTaskSuccess", "states:SendTaskFailure"} <= actions
    assert not {a for a in actions if a.startswith("states:")} - {"states:SendTaskSuccess", "states:SendTaskFailure"}
    assert not {a for a in actions if a.startswith(("sagemaker:", "sns:", "lambda:"))}
    s3_resources = json.dumps([s["Resource"] for s in statements if "s3:" in json.dumps(s["Action"])])
    assert "approvals/*" in s3_resources and "runs/" not in s3_resources and "deployment/" not in s3_resources


def test_wait_for_approval_is_a_task_token_wait_after_register(synth):
    _, machine = synth.state_machine()
    # The definition is a Fn::Join of text and references: its text parts, joined, hold every state.
    text = json.dumps(machine["Properties"]["DefinitionString"]).replace('\\"', '"')
    assert '"WaitForApproval":' in text and "lambda:invoke.waitForTaskToken" in text
    assert '"TimeoutSeconds":86400' in text.replace(" ", "")
    assert '"Register":' in text and '"Next":"WaitForApproval"' in text.replace(" ", "")


def test_an_auto_stage_has_no_approval(synthesized):
    pipeline = synthesized.templates["pipeline"]
    assert not [k for k in pipeline["Resources"] if k.startswith("Approval")]
    assert "WaitForApproval" not in json.dumps(pipeline)
