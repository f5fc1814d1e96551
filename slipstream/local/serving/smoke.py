"""`slipstream serve`'s smoke test: once both servers answer, the same SmokeTest the pipeline runs after a
deployment on AWS, through the same front door (this machine's API instead of API Gateway), so a champion that
answers badly is refused here before anyone calls it."""

from __future__ import annotations

import json

from slipstream.contract import Contract
from slipstream.documents.smoke import SmokeResult
from slipstream.local.monitoring.sources import registry_baselines
from slipstream.local.serving.plan import ServePlan
from slipstream.steps.front_door import FrontDoor
from slipstream.steps.smoke_test import smoke_test


def smoke_test_serving(plan: ServePlan) -> SmokeResult:
    champion = plan.deployment.champion
    assert champion is not None  # build_plan refuses to serve without one
    contract = Contract.model_validate(json.loads(plan.config.contract_path.read_text(encoding="utf-8")))
    baseline = registry_baselines(plan.config, [champion.version]).get(champion.version)
    door = FrontDoor(url=plan.url + "/", caller_header=plan.config.serving.caller_header)
    cases = plan.config.behaviour.minimum_functionality
    return smoke_test(door.post, door.predict_url, contract, baseline, cases, model_version=champion.version)
