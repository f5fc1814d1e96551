"""Each new alarm watches exactly what its writer emits: namespace, metric name and the whole dimension set
(Powertools adds `service`; CloudWatch treats another dimension set as another metric, so an alarm that differs
in one dimension never gets data). The writers run here as they do in their Lambdas and print EMF documents."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from tests.infra.conftest import INFRA_GROUP, Synthesized

pytestmark = INFRA_GROUP


def _function_env(template: dict[str, Any], handler: str) -> dict[str, Any]:
    return next(
        r["Properties"]["Environment"]["Variables"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == handler
    )


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    return {a["AlarmName"].removeprefix("breast-cancer-dev-"): a for a in found}


def _points(output: str) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of every EMF data point printed."""
    points = []
    for line in output.strip().splitlines():
        document = json.loads(line)
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            (dimension_names,) = directive["Dimensions"]
            dimensions = {name: str(document[name]) for name in dimension_names}
            points += [(directive["Namespace"], m["Name"], dimensions) for m in directive["Metrics"]]
    return points


def _watched(alarm: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    return alarm["Namespace"], alarm["MetricName"], {d["Name"]: d["Value"] for d in alarm["Dimensions"]}


def _drift_points(synthesized: Synthesized, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """What the drift Lambda publishes for one drifted version serving the champion, with live quality."""
    from lambdas.drift.handler import emit
    from lambdas.drift.publish import publish
    from slipstream.monitoring.quality import Quality, _metrics

    env = _function_env(synthesized.templates["monitoring"], "lambdas.drift.handler.handler")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", env["POWERTOOLS_SERVICE_NAME"])
    feature = SimpleNamespace(name="mean radius", psi=0.4)
    version = SimpleNamespace(
        version="3", rows=500, max_psi=0.4, features=[feature], prediction=None, variants=["champion"], drifted=["x"]
    )
    labels = pd.Series(["benign", "malignant", "benign"])
    quality = Quality("champion", ["3"], 3, 3, _metrics(labels, labels, "classification"))
    capsys.readouterr()
    publish(SimpleNamespace(versions=[version], quality=[quality]), "breast-cancer", emit)  # type: ignore[arg-type]
    return _points(capsys.readouterr().out)


def test_prediction_drift_and_live_quality_alarms_watch_what_the_drift_lambda_publishes(
    synthesized: Synthesized, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    points = _drift_points(synthesized, monkeypatch, capsys)
    alarms = _alarms(synthesized.templates["monitoring"])
    assert _watched(alarms["champion-live-quality"]) in points
    namespace, name, dimensions = _watched(alarms["champion-prediction-drift"])
    assert name == "PredictionDrifted"
    flagged = [p for p in points if p[1] == name]
    # The drift lane publishes PredictionDrifted beside DriftedFeatures, with its dimension set; until then
    # the alarm must watch DriftedFeatures' per-variant set under the new name.
    reference = flagged or [p for p in points if p[1] == "DriftedFeatures" and "Variant" in p[2]]
    assert (namespace, dimensions) in [(p[0], p[2]) for p in reference]


def test_capture_alarms_watch_what_the_predict_lambda_emits(
    synthesized: Synthesized, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aws_lambda_powertools import Metrics

    from lambdas.predict import handler
    from lambdas.predict.api import _capture_metrics

    env = _function_env(synthesized.templates["serving"], "lambdas.predict.handler.handler")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", env["POWERTOOLS_SERVICE_NAME"])
    metrics = Metrics(namespace=handler.metrics.provider.namespace)  # the handler's namespace, this service
    capture = SimpleNamespace(take_counts=lambda: {"dropped": 2, "failed": 3})
    capsys.readouterr()
    _capture_metrics(SimpleNamespace(capture=capture, shadow=None, issued_failed=0), metrics)  # type: ignore[arg-type]
    metrics.flush_metrics()
    points = _points(capsys.readouterr().out)
    alarms = _alarms(synthesized.templates["monitoring"])
    for kind in ("dropped", "failed"):
        assert _watched(alarms[f"captures-{kind}"]) in points, kind


def test_issued_failed_alarm_watches_what_the_predict_lambda_emits(
    synthesized: Synthesized, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aws_lambda_powertools import Metrics

    from lambdas.predict import handler
    from lambdas.predict.api import _capture_metrics

    env = _function_env(synthesized.templates["serving"], "lambdas.predict.handler.handler")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", env["POWERTOOLS_SERVICE_NAME"])
    metrics = Metrics(namespace=handler.metrics.provider.namespace)
    service = SimpleNamespace(capture=None, shadow=None, issued_failed=2)
    capsys.readouterr()
    _capture_metrics(service, metrics)  # type: ignore[arg-type]
    metrics.flush_metrics()
    points = _points(capsys.readouterr().out)
    alarm = _alarms(synthesized.templates["monitoring"])["issued-failed"]
    assert _watched(alarm) in points
    assert alarm["Statistic"] == "Sum" and alarm["Threshold"] == 1 and service.issued_failed == 0


def test_delivery_and_drift_error_alarms_watch_this_stages_stream_and_function(synthesized: Synthesized) -> None:
    monitoring, serving = synthesized.templates["monitoring"], synthesized.templates["serving"]
    alarms = _alarms(monitoring)
    _, _, stream = _watched(alarms["capture-delivery"])
    exported = {o["Export"]["Name"]: o["Value"] for o in serving.get("Outputs", {}).values() if "Export" in o}
    export_name = stream["DeliveryStreamName"]["Fn::ImportValue"]
    streams = [k for k, r in serving["Resources"].items() if r["Type"] == "AWS::KinesisFirehose::DeliveryStream"]
    (stream_id,) = [k for k in streams if k.startswith("CaptureStream")]  # not the feedback stream
    assert exported[export_name] == {"Ref": stream_id}
    _, _, function = _watched(alarms["drift-errors"])
    (drift_id,) = [
        k
        for k, r in monitoring["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == "lambdas.drift.handler.handler"
    ]
    assert function == {"FunctionName": {"Ref": drift_id}}
