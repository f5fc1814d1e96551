"""The local runtime of the pipeline: the DESIGN steps in order, each a thin adapter around its step logic.

Step logic lives in `slipstream.steps`, `training/` and `slipstream.local.registry`; this module only moves
inputs and outputs between them through a run folder, the way Step Functions moves them through S3.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from slipstream.config import Config
from slipstream.errors import SlipstreamError
from slipstream.local import fault_points
from slipstream.local.run_failure import (
    RunInterrupted,
    as_user_error,
    clear_step,
    interrupted_outcome,
    mark_abandoned,
    mark_failed,
    note_step,
    release_reserve,
    reserve_space,
)
from slipstream.local.run_state import RunState, new_run
from slipstream.model_card import importance_of

PIPELINE_STEPS = ("ValidateData", "Train", "Evaluate", "QualityGate", "Register")


class Reporter(Protocol):
    def step_started(self, step: str) -> None: ...
    def step_finished(self, step: str, seconds: float, summary: str) -> None: ...
    def step_failed(self, step: str, seconds: float, error: Exception) -> None: ...


class _Silent:
    def step_started(self, step: str) -> None: ...
    def step_finished(self, step: str, seconds: float, summary: str) -> None: ...
    def step_failed(self, step: str, seconds: float, error: Exception) -> None: ...


def run_pipeline(config: Config, reporter: Reporter | None = None) -> RunState:
    """Run every step in order; on any error (an interruption too) the run folder is marked failed, and the
    registry holds nothing half-done. Call it holding the state directory's lock (run_lock.py): it repairs
    what a killed run left in the registry, which is safe only when no other run can be writing it."""
    from slipstream.local import steps as local_steps  # heavy imports (pandas, MLflow) only once a run starts

    steps: dict[str, Callable[[RunState], str]] = {
        "ValidateData": local_steps.validate,
        "Train": local_steps.train,
        "Evaluate": local_steps.evaluate,
        "QualityGate": local_steps.quality_gate,
        "Register": local_steps.register,
    }
    assert tuple(steps) == PIPELINE_STEPS
    reporter = reporter or _Silent()
    state = _start(config)
    for name, step in steps.items():
        _run_step(state, name, step, reporter)
    try:
        fault_points.reached("run-registered")
        release_reserve(state.run_dir)
        state.write_json("summary.json", summary_of(state))
        clear_step(state.run_dir)
    except KeyboardInterrupt:  # Register has completed: the outcome says so, the folder still is no finished run
        mark_failed(state, "Register", SlipstreamError("interrupted (Ctrl-C or SIGTERM) after Register"))
        raise RunInterrupted(interrupted_outcome(state)) from None
    return state


def _run_step(state: RunState, name: str, step: Callable[[RunState], str], reporter: Reporter) -> None:
    reporter.step_started(name)
    started = time.perf_counter()
    try:
        note_step(state.run_dir, name)
        fault_points.reached(f"step:{name}")
        summary = step(state)
    except KeyboardInterrupt:
        state.timings[name] = time.perf_counter() - started
        _fail(state, name, SlipstreamError("interrupted (Ctrl-C or SIGTERM) during this step"), reporter)
        raise RunInterrupted(interrupted_outcome(state)) from None
    except Exception as error:
        state.timings[name] = time.perf_counter() - started
        told = as_user_error(error, state.config.tracking_uri)
        _fail(state, name, told, reporter)
        if told is error:
            raise
        raise told from error
    state.timings[name] = time.perf_counter() - started
    reporter.step_finished(name, state.timings[name], summary)


def repair_state(config: Config) -> list[str]:
    """Mark what killed runs left behind: half-registered versions, RUNNING MLflow runs, unfinished run
    folders. Only call it holding the state directory's lock."""
    from slipstream.local.registry import Registry
    from slipstream.local.registry_repair import repair

    repairs = repair(Registry(config)).lines() if Registry.exists(config) else []
    return repairs + mark_abandoned(config.state_path)


def _start(config: Config) -> RunState:
    try:
        repairs = repair_state(config)
        state = new_run(config)
    except OSError as error:
        raise as_user_error(error) from error
    try:
        reserve_space(state.run_dir)
    except OSError as error:  # the disk is already full: this run folder must not pass for a finished run
        told = as_user_error(error)
        mark_failed(state, "ValidateData", told)
        raise told from error
    state.outputs["repairs"] = repairs
    return state


def _fail(state: RunState, step: str, error: Exception, reporter: Reporter) -> None:
    reporter.step_failed(step, state.timings[step], error)
    mark_failed(state, step, error)


def _importance_summary(evaluation: dict[str, Any]) -> dict[str, Any] | None:
    """The top 3 features and the flags; the whole ranking is in evaluation.json and the model card."""
    importance = importance_of(evaluation)
    if importance is None:
        return None
    return {
        "metric": importance.metric,
        "top": [f.model_dump() for f in importance.top()],
        "flags": [flag.model_dump() for flag in importance.flags],
    }


def summary_of(state: RunState) -> dict[str, Any]:
    outputs = state.outputs
    decision = outputs.get("decision")
    version = outputs.get("version")
    return {
        "run_id": state.run_id,
        "run_dir": str(state.run_dir),
        "metrics": outputs.get("evaluation", {}).get("metrics"),
        "champion_metrics": outputs.get("evaluation", {}).get("champion_metrics"),
        "importance": _importance_summary(outputs.get("evaluation", {})),
        "gate": decision.model_dump() if decision else None,
        "version": version.version if version else None,
        "staging": outputs["staging"].role if "staging" in outputs else None,
        "champion_version": outputs.get("champion_version"),
        "contract_written": outputs.get("contract_written", False),
        "timings_s": {k: round(v, 2) for k, v in state.timings.items()},
        "repaired": state.outputs.get("repairs", []),
        # The search's outcome; every trial is in the job's tuning.json and in MLflow's child runs.
        "tuning": outputs["tuning"].model_dump(mode="json", exclude={"trials"}) if outputs.get("tuning") else None,
    }
