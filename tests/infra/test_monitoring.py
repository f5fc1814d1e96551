"""Monitoring stack: every alarm present, sending ALARM and OK to the topic, linking its runbook section; the
notifier subscribed with async retries and an encrypted on-failure queue; the drift schedule; the dashboard."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Template

from slipstream.monitoring.alarm import SECTIONS, notice_from_sns
from tests.infra.conftest import INFRA_GROUP, Synthesized

pytestmark = INFRA_GROUP
TOPIC = {"Fn::ImportValue": "breast-cancer-dev-notifications:ExportsOutputRefPipelineEventsF0160F87F369290C"}
# alarm name suffix -> (namespace, metric, runbook anchor in docs/runbook.md)
EXPECTED = {
    "api-5xx": ("AWS/ApiGateway", "5XXError", "api-5xx"),
    "api-p99-latency": ("AWS/ApiGateway", "Latency", "api-p99-latency"),
    "predict-errors": ("AWS/Lambda", "Errors", "predict-lambda-errors"),
    "predict-throttles": ("AWS/Lambda", "Throttles", "predict-lambda-throttles"),
    "champion-endpoint-5xx": ("AWS/SageMaker", "Invocation5XXErrors", "endpoint-invocation-errors"),
    "champion-endpoint-model-errors": ("AWS/SageMaker", "InvocationModelErrors", "endpoint-invocation-errors"),
    "champion-model-latency": ("AWS/SageMaker", "ModelLatency", "endpoint-model-latency"),
    "pipeline-failed": ("AWS/States", "ExecutionsFailed", "pipeline-failed-executions"),
    "pipeline-timed-out": ("AWS/States", "ExecutionsTimedOut", "pipeline-timed-out-executions"),
    "champion-drift": ("Slipstream", "DriftedFeatures", "drift-above-threshold"),
    "champion-prediction-drift": ("Slipstream", "PredictionDrifted", "prediction-drift"),
    "champion-live-quality": ("Slipstream", "LiveAccuracy", "live-quality-below-floor"),
    "issued-failed": ("Slipstream", "IssuedFailed", "issued-failed"),
    "captures-dropped": ("Slipstream", "CaptureDropped", "captures-lost"),
    "captures-failed": ("Slipstream", "CaptureFailed", "captures-lost"),
    "capture-delivery": ("AWS/Firehose", "DeliveryToS3.Success", "capture-delivery-failed"),
    "capture-conversion": ("AWS/Firehose", "FailedConversion.Records", "capture-conversion-failed"),
    "drift-errors": ("AWS/Lambda", "Errors", "drift-lambda-errors"),
    "notifier-dlq": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "notifier-dlq-not-empty"),
}


@pytest.fixture(scope="module")
def monitoring(synthesized) -> Template:
    return Template.from_json(synthesized.templates["monitoring"])


@pytest.fixture(scope="module")
def alarms(monitoring) -> dict[str, dict]:
    found = monitoring.find_resources("AWS::CloudWatch::Alarm").values()
    return {a["Properties"]["AlarmName"].removeprefix("breast-cancer-dev-"): a["Properties"] for a in found}


def test_every_alarm_is_present_and_watches_its_metric(alarms):
    assert set(alarms) == set(EXPECTED)
    for name, (namespace, metric, _) in EXPECTED.items():
        assert (alarms[name]["Namespace"], alarms[name]["MetricName"]) == (namespace, metric), name
        assert alarms[name]["TreatMissingData"] == "notBreaching", name


def test_every_alarm_notifies_the_topic_on_alarm_and_on_recovery(alarms):
    for name, props in alarms.items():
        assert props["AlarmActions"] == [TOPIC] and props["OKActions"] == [TOPIC], name


def test_the_notifier_links_each_alarm_to_its_runbook_section(alarms):
    """What CloudWatch will publish, parsed by the notifier's own code: the anchor comes out of the description."""
    for name, props in alarms.items():
        message = {
            "AlarmName": props["AlarmName"],
            "AlarmDescription": props["AlarmDescription"],
            "NewStateValue": "ALARM",
            "NewStateReason": "test",
            "Trigger": {"Namespace": props["Namespace"], "MetricName": props["MetricName"], "Dimensions": []},
        }
        notice = notice_from_sns("ALARM", json.dumps(message))
        assert notice.runbook == EXPECTED[name][2], name
        if name != "drift-errors":  # AWS/Lambda Errors falls back to the predict Lambda's section
            assert SECTIONS[(props["Namespace"], props["MetricName"])] == notice.runbook, name
        assert "runbook" not in notice.title, name


def test_endpoint_drift_and_pipeline_alarms_watch_this_stage(alarms):
    dims = {a: {d["Name"]: d["Value"] for d in p.get("Dimensions", [])} for a, p in alarms.items()}
    assert dims["champion-endpoint-5xx"] == {"EndpointName": "breast-cancer-dev", "VariantName": "AllTraffic"}
    assert dims["champion-drift"] == {"Model": "breast-cancer", "Variant": "champion", "service": "drift"}
    drift = alarms["champion-drift"]
    assert (drift["MetricName"], drift["Threshold"], drift["Statistic"]) == ("DriftedFeatures", 1, "Maximum")
    assert drift["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"  # a verdict, not a raw PSI
    assert alarms["champion-model-latency"]["ExtendedStatistic"] == "p99"
    assert alarms["api-p99-latency"]["ExtendedStatistic"] == "p99"
    assert (alarms["api-5xx"]["Statistic"], alarms["api-5xx"]["Threshold"]) == ("Average", 0.05)  # a share
    assert "Fn::ImportValue" in dims["pipeline-failed"]["StateMachineArn"]
    assert dims["predict-errors"]["FunctionName"]["Fn::ImportValue"].startswith("breast-cancer-dev-serving:")


def test_notifier_is_subscribed_retries_twice_then_keeps_the_event_in_an_encrypted_queue(monitoring):
    (subscription,) = monitoring.find_resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "lambda" and subscription["Properties"]["TopicArn"] == TOPIC
    (queue_id,) = monitoring.find_resources("AWS::SQS::Queue", {"Properties": {"SqsManagedSseEnabled": True}})
    configs = monitoring.find_resources("AWS::Lambda::EventInvokeConfig")
    notifier = next(c["Properties"] for c in configs.values() if "DestinationConfig" in c["Properties"])
    assert notifier["MaximumRetryAttempts"] == 2 and notifier["MaximumEventAgeInSeconds"] == 3600
    redrive = subscription["Properties"]["RedrivePolicy"]
    assert redrive == {"deadLetterTargetArn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert notifier["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}}
    assert notifier["FunctionName"] == {"Ref": subscription["Properties"]["Endpoint"]["Fn::GetAtt"][0]}


def test_notifier_reads_the_webhook_secret_by_name(monitoring):
    functions = monitoring.find_resources("AWS::Lambda::Function")
    env = next(
        f["Properties"]["Environment"]["Variables"]
        for f in functions.values()
        if f["Properties"]["Handler"].startswith("lambdas.slack_notifier")
    )
    assert env["SLACK_WEBHOOK_SECRET"] == "breast-cancer/slack-webhook"
    assert "#dashboards/dashboard/breast-cancer-dev" in json.dumps(env["DASHBOARD_URL"])
    grants = json.dumps(monitoring.find_resources("AWS::IAM::Policy"))
    assert ":secret:breast-cancer/slack-webhook-??????" in grants


def test_drift_runs_on_the_configured_schedule_over_the_capture_prefix(monitoring):
    monitoring.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(1 hour)"})
    functions = monitoring.find_resources("AWS::Lambda::Function")
    drift = next(f["Properties"] for f in functions.values() if f["Properties"]["Handler"].startswith("lambdas.drift"))
    env = drift["Environment"]["Variables"]
    assert env["CAPTURE_PREFIX"] == "captures/data/"
    assert json.dumps(env["DEPLOYMENT_URI"]).endswith('/deployment/deployment.json"]]}')
    assert json.loads(env["SLIPSTREAM_CONFIG"])["name"] == "breast-cancer"
    assert len(drift["Layers"]) == 2  # Powertools + AWS SDK for pandas (the drift math needs pandas)


def test_one_dashboard_covers_api_lambda_endpoint_pipeline_and_drift(monitoring):
    (dashboard,) = monitoring.find_resources("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "breast-cancer-dev"
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    needles = ("AWS/ApiGateway", "AWS/Lambda", "AWS/SageMaker", "AWS/States", "MaxFeaturePsi", "FeaturePsi", "alarm")
    for needle in needles:
        assert needle in body, needle


def test_the_drift_alarm_watches_the_dimension_set_the_drift_lambda_publishes(
    synthesized: Synthesized, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Powertools adds `service` to every EMF data point; CloudWatch treats another dimension set as another
    # metric, so an alarm that leaves it out never gets data. Emit one point the way the drift Lambda does.
    from lambdas.drift.handler import emit

    monitoring = synthesized.templates["monitoring"]
    drift_fn = next(
        r
        for r in monitoring["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == "lambdas.drift.handler.handler"
    )
    monkeypatch.setenv(
        "POWERTOOLS_SERVICE_NAME", drift_fn["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    )
    emit("DriftedFeatures", "Count", 1, {"Model": "breast-cancer", "Variant": "champion"})
    published = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    (dimension_set,) = published["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    alarms = [
        r["Properties"]
        for r in monitoring["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("MetricName") == "DriftedFeatures"
    ]
    assert alarms, "no drift alarm"
    for alarm in alarms:
        assert sorted(d["Name"] for d in alarm["Dimensions"]) == sorted(dimension_set)
        assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]}["service"] == published["service"]
