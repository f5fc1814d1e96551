"""Retraining on alarms through the emulated EventBridge: a CloudWatch alarm state change goes through the
synthesized RetrainOnAlarm rule to the real StartPipeline handler, under its own role's IAM (ListExecutions,
StartExecution). slipstream.toml retrains on the champion's drift and quality alarms with a 24 h cooldown.
One account of its own; the decisions are StartPipeline's answers (why it started or not) and the executions.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from slipstream.local.stepfunctions.emulation import emulated_pipeline, upload_dataset
from slipstream.local.stepfunctions.world import World

pytestmark = [
    pytest.mark.xdist_group("statemachine-retrain-trigger"),
    pytest.mark.slow,
]  # its own account: see conftest.py
DRIFT = "breast-cancer-dev-champion-drift"


def alarm_event(name: str, state: str = "ALARM", at: datetime | None = None) -> dict[str, Any]:
    detail = {"alarmName": name, "state": {"value": state, "reason": "Threshold Crossed"}, "previousState": {}}
    return {
        "Source": "aws.cloudwatch",
        "DetailType": "CloudWatch Alarm State Change",
        "Time": at or datetime.now(UTC),
        "Resources": [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"],
        "Detail": json.dumps(detail),
    }


def executions(world: World) -> list[dict[str, Any]]:
    return world.client("stepfunctions").list_executions(stateMachineArn=world.state_machine_arn)["executions"]


class Answers:
    """StartPipeline's answers, as the emulated Lambda runtime returns them (EventBridge invokes asynchronously
    and keeps no result, so the test listens where the runtime calls the real handler)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from slipstream.local.stepfunctions.moto_extensions import core

        self.seen: list[dict[str, Any]] = []
        invoke = core.invoke_handler

        def listening(handler: str, *args: Any, **kwargs: Any) -> tuple[Any, bool]:
            result, errored = invoke(handler, *args, **kwargs)
            if handler == "lambdas.start_pipeline.handler.handler":
                self.seen.append(result)
            return result, errored

        monkeypatch.setattr(core, "invoke_handler", listening)

    def next(self, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not self.seen:
            if time.monotonic() > deadline:
                raise AssertionError("StartPipeline did not answer")
            time.sleep(0.1)
        answer = self.seen.pop(0)
        assert "errorType" not in answer, answer  # the handler failed (e.g. its role may not list executions)
        return answer


def test_alarms_retrain_only_on_new_data_outside_the_cooldown(config, monkeypatch):
    answers = Answers(monkeypatch)
    with emulated_pipeline(config, triggers=True) as world:
        events = world.client("events")
        first = upload_dataset(world, config)  # the S3 trigger trains on it
        deadline = time.monotonic() + 30
        while not executions(world) and time.monotonic() < deadline:
            time.sleep(0.2)
        (trained,) = executions(world)
        world.wait(trained["executionArn"])
        assert answers.next()["started"]  # the upload's

        events.put_events(Entries=[alarm_event(DRIFT)])  # minutes after that run: within the cooldown
        cooldown = answers.next()
        assert not cooldown["started"] and "within the 24 h cooldown" in cooldown["reason"], cooldown
        assert trained["name"] in cooldown["reason"]

        tomorrow = datetime.now(UTC) + timedelta(hours=25)
        events.put_events(Entries=[alarm_event(DRIFT, at=tomorrow)])  # cooldown over, the data unchanged
        unchanged = answers.next()
        assert not unchanged["started"] and unchanged["run_id"] == trained["name"], unchanged
        assert unchanged["reason"] == f"alarm {DRIFT}: this data was already trained on (no new data since)"

        # Alarms the config does not retrain on, and recoveries, never reach StartPipeline.
        events.put_events(Entries=[alarm_event("breast-cancer-dev-api-5xx", at=tomorrow)])
        events.put_events(Entries=[alarm_event(DRIFT, state="OK", at=tomorrow)])
        events.put_events(Entries=[alarm_event("breast-cancer-dev-challenger-drift", at=tomorrow)])
        time.sleep(2)
        assert answers.seen == [] and len(executions(world)) == 1

        # Data the upload trigger missed (its rule without its target, as if the S3 event were lost).
        new_data = _rule(world, "aws.s3")
        events.remove_targets(
            Rule=new_data, Ids=[t["Id"] for t in events.list_targets_by_rule(Rule=new_data)["Targets"]]
        )
        s3 = world.client("s3")
        body = s3.get_object(Bucket=world.data_bucket, Key=first)["Body"].read()
        newer = body.replace(b"\n", b"\r\n")  # the same rows, other bytes: another ETag, data not trained on
        s3.put_object(Bucket=world.data_bucket, Key=first.replace(".csv", "-v2.csv"), Body=newer)
        quality = "breast-cancer-dev-champion-live-quality"
        events.put_events(Entries=[alarm_event(quality, at=tomorrow)])
        retrained = answers.next()
        assert retrained["started"] and retrained["reason"].startswith(f"alarm {quality}: training on "), retrained
        runs = {e["name"]: e for e in executions(world)}
        assert set(runs) == {trained["name"], retrained["run_id"]}
        world.wait(runs[retrained["run_id"]]["executionArn"])


def _rule(world: World, source: str) -> str:
    resources = world.synth.templates["pipeline"]["Resources"]
    return next(
        logical
        for logical, r in resources.items()
        if r["Type"] == "AWS::Events::Rule" and r["Properties"].get("EventPattern", {}).get("source") == [source]
    )
