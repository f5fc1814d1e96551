"""`gate.promote = "canary"`: the canary's alarms, its two Lambdas' least-privilege grants, and its states."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from tests.infra.conftest import INFRA_GROUP

pytestmark = INFRA_GROUP
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def templates():
    from slipstream.config import parse_config
    from slipstream.local.stepfunctions.synth import synthesize

    raw = tomllib.loads((REPO / "slipstream.toml").read_text())
    raw["gate"]["promote"] = "canary"
    raw["canary"] = {"share": 0.2, "bake_minutes": 30, "check_minutes": 5, "max_error_rate": 0.02}
    return synthesize(parse_config(raw, base_dir=REPO)).templates


def _of_type(template, kind):
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def test_one_alarm_per_watched_kind_on_the_canary_endpoint_with_the_configured_thresholds(templates):
    alarms = {
        r["Properties"]["AlarmName"]: r["Properties"]
        for r in _of_type(templates["pipeline"], "AWS::CloudWatch::Alarm").values()
    }
    assert sorted(alarms) == [f"breast-cancer-dev-canary-{k}" for k in ("errors", "latency", "quality")]
    errors = alarms["breast-cancer-dev-canary-errors"]
    assert errors["Threshold"] == 0.02 and errors["ComparisonOperator"] == "GreaterThanThreshold"
    assert errors["TreatMissingData"] == "notBreaching"
    stats = [m["MetricStat"] for m in errors["Metrics"] if "MetricStat" in m]
    assert {s["Metric"]["MetricName"] for s in stats} == {"Invocation5XXErrors", "InvocationModelErrors", "Invocations"}
    assert all(s["Period"] == 300 for s in stats)
    assert all(
        {"Name": "EndpointName", "Value": "breast-cancer-dev-challenger"} in s["Metric"]["Dimensions"] for s in stats
    )
    latency = alarms["breast-cancer-dev-canary-latency"]
    assert latency["Threshold"] == 2000 * 1000  # microseconds
    quality = alarms["breast-cancer-dev-canary-quality"]
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in quality["Metrics"] if "MetricStat" in m}
    assert names == {"LiveAccuracy"}  # what the drift Lambda publishes per variant


def test_the_check_lambda_may_describe_only_the_canary_alarms(templates):
    pipeline = templates["pipeline"]
    statements = [
        s
        for policy in _of_type(pipeline, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if "cloudwatch:DescribeAlarms" in json.dumps(s["Action"])
    ]
    assert len(statements) == 1
    resources = statements[0]["Resource"]
    assert len(resources) == 3 and all("Fn::GetAtt" in r for r in resources)


def test_the_bake_loop_waits_checks_and_branches_three_ways(templates):
    from cdk.pipeline.doc import definition_from_template

    states = definition_from_template(templates["pipeline"])["States"]
    assert states["Bake"]["Type"] == "Wait" and states["Bake"]["Seconds"] == 300
    assert states["Bake"]["Next"] == "CheckCanary"
    choices = {c["StringEquals"]: c["Next"] for c in states["BakeVerdict"]["Choices"]}
    assert choices == {"roll_back": "RecordRollBack", "promote": "PromoteCanary"}
    assert states["BakeVerdict"]["Default"] == "Bake"
    check = states["CheckCanary"]["Parameters"]
    assert check["bake_minutes"] == 30 and set(check["alarms"]) == {"errors", "latency", "quality"}
    # Promotion: the champion endpoint takes the canary's config.
    assert states["PromoteCanary"]["Parameters"]["EndpointName"] == "breast-cancer-dev"
    assert states["DeleteRolledBackCanary"]["Parameters"]["EndpointName"] == "breast-cancer-dev-challenger"
