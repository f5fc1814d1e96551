"""The local runtime of the pipeline: the DESIGN steps in order, each a thin adapter around its step logic.

Step logic lives in `slipstream.steps`, `training/` and `slipstream.local.registry`; this module only moves
inputs and outputs between them through a run folder, the way Step Functions moves them through S3.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import Any, Protocol

from slipstream.config import Config
from slipstream.errors import SlipstreamError
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
    """Run every step in order; on any error the run folder is marked failed and the registry is untouched."""
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
    state = new_run(config)
    for name, step in steps.items():
        reporter.step_started(name)
        started = time.perf_counter()
        try:
            summary = step(state)
        except Exception as error:
            state.timings[name] = time.perf_counter() - started
            reporter.step_failed(name, state.timings[name], error)
            _mark_failed(state, name, error)
            raise
        state.timings[name] = time.perf_counter() - started
        reporter.step_finished(name, state.timings[name], summary)
    state.write_json("summary.json", summary_of(state))
    return state


def _mark_failed(state: RunState, step: str, error: Exception) -> None:
    """Keep the logs for debugging, under a name nothing mistakes for a finished run."""
    message = str(error) if isinstance(error, SlipstreamError) else f"{type(error).__name__}: {error}"
    state.write_json("FAILED.json", {"step": step, "error": message})
    shutil.move(state.run_dir, state.run_dir.with_name(state.run_dir.name + ".failed"))
    state.run_dir = state.run_dir.with_name(state.run_dir.name + ".failed")


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
    }
