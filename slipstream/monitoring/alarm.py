"""What arrives on the notifications topic, turned into one `Notice` the Slack message is built from.

Three kinds of message share the topic: CloudWatch alarm state changes (JSON with AlarmName, NewStateValue,
Trigger, ...), the pipeline's own notifications (JSON with project, stage, run_id, status; see
cdk/pipeline/definition.py), and the experiment Lambda's decisions (JSON with status and an `experiment`
object; lambdas/experiment/publish.py). Anything else is shown as plain text, so no message is ever dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# Runbook anchors (docs/runbook.md headings carry the same ids). An alarm names its section explicitly with
# "runbook: <anchor>" in its description; otherwise the metric it watches picks it (AWS/Lambda Errors is the
# predict Lambda's: the drift and experiment Lambdas' error alarms name drift-/experiment-lambda-errors).
SECTIONS = {
    ("AWS/ApiGateway", "5XXError"): "api-5xx",
    ("AWS/ApiGateway", "Latency"): "api-p99-latency",
    ("AWS/Lambda", "Errors"): "predict-lambda-errors",
    ("AWS/Lambda", "Throttles"): "predict-lambda-throttles",
    ("AWS/SageMaker", "Invocation5XXErrors"): "endpoint-invocation-errors",
    ("AWS/SageMaker", "Invocation4XXErrors"): "endpoint-invocation-errors",
    ("AWS/SageMaker", "InvocationModelErrors"): "endpoint-invocation-errors",
    ("AWS/SageMaker", "ModelLatency"): "endpoint-model-latency",
    ("AWS/States", "ExecutionsFailed"): "pipeline-failed-executions",
    ("AWS/States", "ExecutionsTimedOut"): "pipeline-timed-out-executions",
    ("Slipstream", "MaxFeaturePsi"): "drift-above-threshold",
    ("Slipstream", "DriftedFeatures"): "drift-above-threshold",
    ("Slipstream", "PredictionDrifted"): "prediction-drift",
    ("Slipstream", "LiveAccuracy"): "live-quality-below-floor",
    ("Slipstream", "LiveMae"): "live-quality-below-floor",
    ("Slipstream", "LiveRmse"): "live-quality-below-floor",
    ("Slipstream", "IssuedFailed"): "issued-failed",
    ("Slipstream", "CaptureDropped"): "captures-lost",
    ("Slipstream", "CaptureFailed"): "captures-lost",
    ("AWS/Firehose", "DeliveryToS3.Success"): "capture-delivery-failed",
    ("AWS/Firehose", "FailedConversion.Records"): "capture-conversion-failed",
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): "notifier-dlq-not-empty",
}
EXPLICIT = re.compile(r"runbook:\s*#?([a-z0-9-]+)", re.IGNORECASE)
OPERATORS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": "≥",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "≤",
}


@dataclass(frozen=True)
class Notice:
    title: str
    state: str  # ALARM | OK | INSUFFICIENT_DATA | failed | deployed | ... | INFO
    reason: str
    metric: str | None = None  # "AWS/Lambda Errors (FunctionName=...)"
    condition: str | None = None  # "Maximum > 0.2 for 1 x 3600 s"
    runbook: str | None = None  # anchor in docs/runbook.md
    region: str | None = None
    alarm_name: str | None = None
    details: dict[str, Any] | None = None

    @property
    def bad(self) -> bool:
        return self.state in {"ALARM", "failed", "rolled back", "refused", "invalid (sample ratio mismatch)"}


def notice_from_sns(subject: str | None, message: str) -> Notice:
    try:
        body = json.loads(message)
    except ValueError:
        body = None
    if isinstance(body, dict) and "AlarmName" in body:
        return _alarm(body)
    if isinstance(body, dict) and isinstance(body.get("experiment"), dict):
        return _experiment(subject, body)
    if isinstance(body, dict) and isinstance(body.get("approval"), dict) and body.get("status") == "approval needed":
        return _approval(subject, body)
    if isinstance(body, dict) and isinstance(body.get("batch"), dict):
        return _batch(subject, body)
    if isinstance(body, dict) and "status" in body:
        return _pipeline(subject, body)
    return Notice(title=subject or "Slipstream notification", state="INFO", reason=message[:2500])


def _alarm(body: dict[str, Any]) -> Notice:
    trigger = body.get("Trigger") or {}
    namespace, name = trigger.get("Namespace"), trigger.get("MetricName")
    dimensions = ", ".join(f"{d.get('name')}={d.get('value')}" for d in trigger.get("Dimensions") or [])
    metric = f"{namespace} {name}" + (f" ({dimensions})" if dimensions else "") if name else None
    condition = None
    if "Threshold" in trigger:
        operator = OPERATORS.get(trigger.get("ComparisonOperator", ""), trigger.get("ComparisonOperator", "?"))
        statistic = trigger.get("Statistic") or trigger.get("ExtendedStatistic") or "value"
        periods = f"{trigger.get('EvaluationPeriods', 1)} x {trigger.get('Period', '?')} s"
        condition = f"{statistic} {operator} {trigger['Threshold']:g} over {periods}"
    explicit = EXPLICIT.search(body.get("AlarmDescription") or "")
    runbook = explicit.group(1).lower() if explicit else SECTIONS.get((str(namespace), str(name)))
    return Notice(
        title=body.get("AlarmDescription", "").split("runbook:")[0].strip(" .;") or body["AlarmName"],
        state=str(body.get("NewStateValue", "?")),
        reason=str(body.get("NewStateReason", "")),
        metric=metric,
        condition=condition,
        runbook=runbook,
        region=_region_code(body.get("AlarmArn")),
        alarm_name=body["AlarmName"],
    )


def _pipeline(subject: str | None, body: dict[str, Any]) -> Notice:
    status = str(body["status"])
    error = body.get("error") or {}
    reason = error.get("Cause") or error.get("Error") if isinstance(error, dict) else str(error)
    runbook = "pipeline-failed-executions" if status in {"failed", "rolled back"} else None
    keep = {k: body[k] for k in ("project", "stage", "run_id", "execution", "endpoint") if body.get(k)}
    return Notice(
        title=subject or f"pipeline {status}",
        state=status,
        reason=str(reason or f"run {body.get('run_id', '?')}: {status}")[:2500],
        runbook=runbook,
        details=keep,
    )


def _batch(subject: str | None, body: dict[str, Any]) -> Notice:
    """A batch scoring run (cdk/batch/): where the results are and how many rows were scored or refused."""
    batch, status = body["batch"], str(body.get("status", "?"))
    summary = batch.get("summary") or {}
    details = {k: body[k] for k in ("project", "stage", "file") if body.get(k)}
    details.update({k: batch[k] for k in ("output", "model_version") if batch.get(k)})
    if summary:
        details["rows"] = f"{summary.get('rows_scored')} scored, {summary.get('rows_rejected')} rejected"
    error = body.get("error") or {}
    reason = (error.get("Cause") or error.get("Error")) if isinstance(error, dict) else str(error)
    scored = f"{body.get('file', 'the file')} scored by version {batch.get('model_version', '?')}"
    return Notice(
        title=subject or f"batch {status}", state=status, reason=str(reason or scored)[:2500], details=details
    )


def _experiment(subject: str | None, body: dict[str, Any]) -> Notice:
    """The decision is the state; the figures it rests on are the fields a person reads before acting."""
    result = body["experiment"]
    interval = result.get("interval") or [None, None]
    details: dict[str, Any] = {k: body[k] for k in ("project", "stage") if body.get(k)}
    details["versions"] = f"champion {result.get('champion_version')}, challenger {result.get('challenger_version')}"
    details["effect"] = f"{_figure(result.get('effect'))} in {result.get('metric')} (challenger - champion)"
    details["interval"] = f"[{_figure(interval[0])}, {_figure(interval[1])}], p = {_figure(result.get('p_value'))}"
    labelled, assigned = result.get("labelled") or {}, result.get("assigned") or {}
    details["outcomes"] = ", ".join(f"{k} {labelled.get(k, 0)} of {assigned.get(k, 0)}" for k in assigned)
    details["weight"] = _figure(result.get("weight"))
    acted = result.get("acted") or "none"
    details["action"] = f"{acted} (by {result.get('decided_by')})" if acted != "none" else f"{result.get('action')}"
    if result.get("guardrails_breached"):
        details["guardrails breached"] = ", ".join(result["guardrails_breached"])
    return Notice(
        title=subject or str(body.get("status")),
        state=str(result.get("decision", "?")),
        reason=str(result.get("reason", ""))[:2500],
        runbook="experiment-decided",
        details=details,
    )


def _approval(subject: str | None, body: dict[str, Any]) -> Notice:
    """What waits (project, stage, version, run), the gate's verdict and figures, the card, the commands."""
    waiting, gate = body["approval"], body["approval"].get("gate") or {}
    verdict = "passed" if gate.get("passed") else "rejected"
    details = {
        "waiting": f"{body.get('project')} {body.get('stage')}: version {waiting.get('version')}, "
        f"run {body.get('run_id')}",
        "gate": f"{verdict}: {gate.get('metric')} {_figure(gate.get('value'))}",
        "vs baseline": gate.get("baseline_figures", "none"),
        "vs champion": gate.get("champion_figures", "none"),
        "model card": waiting.get("model_card"),
        "deadline": waiting.get("deadline"),
        "approve": f"`{waiting.get('approve')}`",
        "reject": f"`{waiting.get('reject')}`",
    }
    return Notice(
        title=subject or "approval needed",
        state="approval needed",
        reason="; ".join(gate.get("reasons") or []) or "a model waits for approval before production traffic",
        details=details,
    )


def _figure(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) and not isinstance(value, bool) else "n/a"


def _region_code(arn: str | None) -> str | None:
    parts = (arn or "").split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None
