"""CanaryCheck: one look at the canary's CloudWatch alarms during the bake, decided by the canary rule.

A Lambda rather than a DescribeAlarms task in the state machine, so that the rule is one function
(slipstream/canary.py) on both runtimes: `slipstream canary check` applies the very same function locally.
"""

from __future__ import annotations

from typing import Any

from slipstream.canary import AlarmState, canary_verdict
from slipstream.documents.canary import CanaryCheckRequest, CanaryCheckResult


def check_canary(request: CanaryCheckRequest, *, cloudwatch: Any) -> CanaryCheckResult:
    names = sorted(set(request.alarms.values()))
    # AlarmNames takes at most 100 names; a canary watches three. Only metric alarms: ours are.
    found = cloudwatch.describe_alarms(AlarmNames=names, AlarmTypes=["MetricAlarm"])["MetricAlarms"]
    by_name: dict[str, AlarmState] = {alarm["AlarmName"]: alarm["StateValue"] for alarm in found}
    states = {kind: by_name.get(name) for kind, name in request.alarms.items()}
    checks = request.checks + 1
    elapsed = float(checks * request.check_minutes)  # each check follows one Wait of check_minutes
    verdict = canary_verdict(
        states, watched=list(request.alarms), elapsed_minutes=elapsed, bake_minutes=request.bake_minutes
    )
    return CanaryCheckResult(
        action=verdict.action,
        reason=verdict.reason,
        checks=checks,
        elapsed_minutes=elapsed,
        states=states,
        firing=verdict.firing,
    )
