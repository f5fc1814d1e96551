"""What a killed or interrupted run left in the registry, found and marked by the next one (under the run lock).

register() tags its MLflow run "pending" first and "complete" last (registry.py REGISTRATION_TAG). A run still
pending when another run holds the state directory's lock was killed: no process can still be writing it.
Its version, if one was created, is marked incomplete and unstaged (it never took an alias, or took it as its
very last step: then everything else was written and it is only marked complete). A run MLflow still shows
RUNNING is ended FAILED, as MLflow would have if the process had lived to see its exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slipstream.local.registry import REGISTRATION_TAG, STAGING_REASON_TAG, STAGING_TAG, Registry

INTERRUPTED = "registration was interrupted (the run was killed or stopped): incomplete, never staged"


@dataclass
class Repairs:
    ended_runs: list[str] = field(default_factory=list)  # MLflow run ids ended FAILED
    incomplete: list[str] = field(default_factory=list)  # versions marked incomplete
    completed: list[str] = field(default_factory=list)  # versions that held their alias: marked complete

    def lines(self) -> list[str]:
        notes = [f"ended MLflow run {run} (left RUNNING) as FAILED" for run in self.ended_runs]
        notes += [f"version {v}: {INTERRUPTED}" for v in self.incomplete]
        notes += [f"version {v}: had taken its alias, so it is marked complete" for v in self.completed]
        return notes


def repair(registry: Registry) -> Repairs:
    """End stale RUNNING runs and mark every half-registered version; only call it holding the run lock."""
    client, done = registry.client, Repairs()
    experiment = client.get_experiment_by_name(registry.config.experiment_name)
    if experiment is None:
        return done
    ids = [experiment.experiment_id]
    for run in client.search_runs(ids, filter_string="attributes.status = 'RUNNING'", max_results=1000):
        client.set_terminated(run.info.run_id, status="FAILED")
        done.ended_runs.append(run.info.run_id)
    pending = f"tags.`{REGISTRATION_TAG}` = 'pending'"
    for run in client.search_runs(ids, filter_string=pending, max_results=1000):
        _repair_run(registry, run.info.run_id, done)
    return done


def versions_of(registry: Registry, mlflow_run_id: str) -> list[Any]:
    return list(registry.client.search_model_versions(f"run_id = '{mlflow_run_id}'"))


def _repair_run(registry: Registry, mlflow_run_id: str, done: Repairs) -> None:
    client = registry.client
    outcome = "incomplete"
    for version in versions_of(registry, mlflow_run_id):
        number = str(version.version)
        if client.get_model_version(registry.name, number).aliases:
            outcome = "complete"
            done.completed.append(number)
            continue
        registry.set_tags(number, {STAGING_TAG: "none", STAGING_REASON_TAG: INTERRUPTED})
        done.incomplete.append(number)
    client.set_tag(mlflow_run_id, REGISTRATION_TAG, outcome)
