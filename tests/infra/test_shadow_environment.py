"""Shadow mode's one config value reaches the predict Lambda: `[experiment] shadow_share` -> the CDK predict
function's SHADOW_SHARE (with a challenger endpoint and the right to invoke it) -> lambdas/predict/env.py."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from aws_cdk import App, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from cdk.serving.feedback_store import FeedbackStore
from cdk.serving.predict_function import PredictFunction
from lambdas.predict.env import PredictEnv
from tests.infra.conftest import INFRA_GROUP, stage_settings

pytestmark = INFRA_GROUP


def _predict_function(**experiment: Any) -> dict[str, Any]:
    settings = stage_settings()
    update = settings.config.experiment.model_copy(update=experiment)
    settings = replace(settings, config=settings.config.model_copy(update={"experiment": update}))
    stack = Stack(App(), "Bare")
    feedback = FeedbackStore(
        stack, "Feedback", key=kms.Key(stack, "Key"), removal_policy=RemovalPolicy.DESTROY, retention_days=90
    )
    bucket = s3.Bucket(stack, "Artifacts")
    PredictFunction(stack, "Predict", settings=settings, artifact_bucket=bucket, contract_key="c.json",
                    deployment_key="d.json", capture=None, feedback=feedback)  # fmt: skip
    template = Template.from_stack(stack)
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    return {"env": function["Properties"]["Environment"]["Variables"], "template": template.to_json()}


@pytest.mark.parametrize("weight", [0.0, 0.3], ids=["shadow only", "with a split"])
def test_shadow_share_reaches_the_handler_with_a_challenger_to_mirror_to(weight: float) -> None:
    built = _predict_function(shadow_share=0.25, weight=weight)
    env = built["env"]
    assert env["SHADOW_SHARE"] == "0.25" and env["CHALLENGER_ENDPOINT"].endswith("-challenger")
    assert env["CHALLENGER_ENDPOINT"].lower() in str(built["template"])  # InvokeEndpoint on it is granted
    plain = {k: v for k, v in env.items() if isinstance(v, str)}
    parsed = PredictEnv.model_validate({**plain, "CONTRACT_URI": "s3://b/c.json", "POWERTOOLS_SERVICE_NAME": "p"})
    assert (parsed.shadow_share, parsed.challenger_weight) == (0.25, weight)


def test_no_shadow_share_leaves_the_environment_as_it_was() -> None:
    env = _predict_function(shadow_share=0.0)["env"]
    assert "SHADOW_SHARE" not in env and "CHALLENGER_ENDPOINT" not in env
