"""The canary branch through the synthesized state machine on the strict emulated account (`gate.promote =
"canary"`): a first model deploys as the champion (nothing to bake against), a second bakes clean and is
promoted, a third has its error alarm forced into ALARM during the bake and is rolled back. Three executions
in one account; Wait states run at the emulation's clock (1 min check -> 0.6 s)."""

from __future__ import annotations

import threading
import time
import tomllib

import pytest

from slipstream.config import parse_config
from slipstream.local.stepfunctions.emulation import emulated_pipeline, upload_dataset
from tests.statemachine.conftest import REPO
from tests.statemachine.scenarios import Pipeline

pytestmark = pytest.mark.xdist_group("statemachine-canary")  # its own account: see conftest.py
CANARY = {"share": 0.25, "bake_minutes": 6, "check_minutes": 1}


@pytest.fixture(scope="module")
def canary_config():
    raw = tomllib.loads((REPO / "slipstream.toml").read_text())
    raw["gate"]["promote"] = "canary"
    raw["canary"] = CANARY
    return parse_config(raw, base_dir=REPO)


def _alarm_when_baking(world, arn: str, alarm: str, stop: threading.Event) -> None:
    """Once the execution has started its bake, put the canary's alarm into ALARM (as CloudWatch would)."""
    while not stop.is_set():
        entered = [e for e in world.history(arn) if e["type"] == "WaitStateEntered"]
        if any(e["stateEnteredEventDetails"]["name"] == "Bake" for e in entered):
            world.client("cloudwatch").set_alarm_state(
                AlarmName=alarm, StateValue="ALARM", StateReason="test: 5XX errors on the canary"
            )
            return
        time.sleep(0.05)


@pytest.fixture(scope="module")
def canary_runs(canary_config, probe):
    with emulated_pipeline(canary_config) as world:
        pipeline = Pipeline(world, probe)
        good = upload_dataset(world, canary_config)
        outcomes = {"first": pipeline.run("first-model", good)}
        cloudwatch = world.client("cloudwatch")
        alarms = sorted(
            a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"] if "-canary-" in a["AlarmName"]
        )
        for name in alarms:  # CloudWatch evaluates a new alarm within a period; moto never does
            cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="test: evaluated, no data")
        outcomes["promoted"] = pipeline.run("canary-clean", good)
        outcomes["canary_endpoints_after_promotion"] = _endpoints(world)
        arn = world.start("canary-alarm", good)
        stop = threading.Event()
        errors = next(name for name in alarms if name.endswith("-canary-errors"))
        watcher = threading.Thread(target=_alarm_when_baking, args=(world, arn, errors, stop), daemon=True)
        watcher.start()
        world.wait(arn)
        stop.set()
        watcher.join(timeout=5)
        outcomes["rolled_back"] = pipeline.capture_execution("canary-alarm", arn)
        outcomes["canary_endpoints_after_rollback"] = _endpoints(world)
        outcomes["alarms"] = alarms
        yield outcomes


def _endpoints(world) -> list[str]:
    return sorted(e["EndpointName"] for e in world.client("sagemaker").list_endpoints()["Endpoints"])


def test_the_first_model_is_the_champion_without_a_canary(canary_runs):
    first = canary_runs["first"]
    assert first.status == "SUCCEEDED", first.end
    assert "ChampionServing" in first.path and "CreateEndpoint" in first.path
    assert "StartBake" not in first.path
    assert first.record["champion"]["run_id"] == "first-model" and first.record["canary"] is None


def test_a_clean_bake_promotes_the_canary(canary_runs, canary_config):
    run = canary_runs["promoted"]
    assert run.status == "SUCCEEDED", (run.path[-8:], [n.get("error") for n in run.notifications])
    assert run.path.count("CheckCanary") == CANARY["bake_minutes"] // CANARY["check_minutes"]
    for state in ("CreateCanaryEndpoint", "SmokeTestCanary", "RecordCanary", "PromoteCanary", "RetireCanaryEndpoint"):
        assert state in run.path
    assert run.packages["canary-clean"] == "Approved"
    # The champion endpoint runs the canary's config and model; the record names it champion, alone.
    assert run.endpoint["EndpointConfigName"].endswith("canary-clean")
    assert run.answer["model_version"] == run.record["champion"]["version"]
    assert run.record["champion"]["run_id"] == "canary-clean"
    assert run.record["champion"]["endpoint"] == run.endpoint["EndpointName"]
    assert run.record["challenger"] is None and run.record["canary"] is None
    assert canary_runs["canary_endpoints_after_promotion"] == [run.endpoint["EndpointName"]]
    subjects = [n["subject"] for n in run.notifications]
    assert any("canary live for 25%" in s for s in subjects) and any("canary promoted" in s for s in subjects)


def test_an_alarm_during_the_bake_rolls_the_canary_back(canary_runs):
    run = canary_runs["rolled_back"]
    assert run.status == "FAILED" and run.end.get("error") == "CanaryRolledBack", run.end
    checks = run.path.count("CheckCanary")
    assert 1 <= checks < CANARY["bake_minutes"] // CANARY["check_minutes"]  # before the bake could end
    assert "PromoteCanary" not in run.path and "DeleteRolledBackCanary" in run.path
    # The champion from the clean bake still serves; the record is the champion's alone again.
    assert run.endpoint["EndpointConfigName"].endswith("canary-clean")
    assert run.record["champion"]["run_id"] == "canary-clean" and run.record["challenger"] is None
    assert run.record["canary"] is None
    assert canary_runs["canary_endpoints_after_rollback"] == [run.endpoint["EndpointName"]]
    package = run.package_details["canary-alarm"]
    assert package["ModelApprovalStatus"] == "Rejected"
    assert "errors" in package["ApprovalDescription"]
    rolled = next(n for n in run.notifications if n.get("status") == "rolled back")
    assert rolled["alarms"]["errors"] == "ALARM" and "errors" in rolled["reason"]
