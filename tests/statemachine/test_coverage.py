"""Every state of the synthesized definition is visited by some test, and `slipstream run` walks the same
steps in the same order as the state machine's main path (so the two runtimes cannot drift apart)."""

from __future__ import annotations

import pytest

from slipstream.local.runner import PIPELINE_STEPS
from tests.statemachine.conftest import RUNS_GROUP

pytestmark = [RUNS_GROUP, pytest.mark.slow]  # nine executions, once per session

# Steps only the AWS pipeline takes before Register: its runs/ folder expires, so a model that may serve is
# copied to models/ first; locally the registry keeps the model for as long as it is registered.
RETAIN_ON_AWS = ("RetainModel", "RetainBaseline")
# Steps only the AWS pipeline takes after Register: locally `slipstream serve` hosts the registered champion.
DEPLOYMENT_ON_AWS = (
    "CreateModel",
    "CreateEndpointConfig",
    "CreateEndpoint",
    "SmokeTest",
    "ApproveModel",
    "RecordDeployment",  # `slipstream serve` writes the same record from the registry aliases
)


# ValidateData's processing-job route: its own account, whose threshold every upload exceeds, walks it
# (tests/statemachine/test_validation_job.py asserts that path).
PROCESSING_ROUTE = (
    "FindContract",
    "HasStoredContract",
    "ValidationJobInputs",
    "ValidationJobWithContract",
    "ValidateDataJob",
    "ReadValidation",
    "UseValidation",
)


def test_every_state_is_visited_by_some_scenario(definition, first_runs, deployed):
    visited = {state for outcomes in (first_runs, deployed) for run in outcomes.values() for state in run.path}
    visited |= set(PROCESSING_ROUTE)
    unvisited = sorted(set(definition["States"]) - visited)
    assert unvisited == [], f"states no test reaches: {unvisited}"


def test_local_runner_takes_the_state_machines_main_path(definition, deployed):
    """The main path is the first deployment: every gate passed, no champion, a new endpoint. Its steps are its
    Task states that do work (not lookups such as list*/describe*/head*, not notifications)."""
    states = definition["States"]

    def does_work(name: str) -> bool:
        state = states[name]
        if state["Type"] != "Task":
            return False
        action = state["Resource"].rsplit(":", 1)[-1]
        return not action.startswith(("list", "describe", "head")) and ":sns:" not in state["Resource"]

    steps = tuple(dict.fromkeys(name for name in deployed["happy"].path if does_work(name)))
    *before_register, register = PIPELINE_STEPS
    assert steps == (*before_register, *RETAIN_ON_AWS, register, *DEPLOYMENT_ON_AWS)
