"""With [tuning] on AWS: the model's MLflow run and one child run per trial of its SageMaker tuning job, as the
local registry logs them (slipstream/local/registry.py, tuning_runs.py): the parent carries the chosen
parameters (`param.*`) and `tuning_cv_<metric>`; each child `mlflow.parentRunId`, `tuning.trial`, `tuning.best`,
its `param.*` and `cv_<metric>`, FAILED when the trial has no score. The trials come from the tuning job's own
records (slipstream/tuning_job.py). Idempotent: a retried step finds the run and the trials it already logged.
"""

from __future__ import annotations

import json
import time
from typing import Any

from lambdas.mlflow_registry.rest import MlflowError, MlflowRest
from slipstream.config import Config
from slipstream.documents.tuning import TuningJobRecord, TuningJobTrial
from slipstream.lineage import RUN_ID

PARENT_TAG = "mlflow.parentRunId"  # slipstream/local/tuning_runs.py PARENT_TAG
TRIAL_TAG = "tuning.trial"
SEARCH_PAGE = 1000
PARAMS_PER_BATCH = 100  # MLflow's log-batch limit


def log_search(rest: MlflowRest, config: Config, *, run_id: str, tuning: TuningJobRecord) -> str:
    """The model's run id, with every trial logged under it."""
    experiment = _experiment(rest, config.experiment_name)
    metric = tuning.metric.removeprefix("cv:")
    parent = _find(rest, experiment, f"tags.`{RUN_ID}` = '{run_id}'")
    if parent:
        parent_id = parent[0]["info"]["run_id"]
    else:
        chosen = {**{k: json.dumps(v) for k, v in config.model.params.items()}, **_best_params(tuning)}
        parent_id = _run(rest, experiment, run_id, {RUN_ID: run_id, "sagemaker.tuning_job": tuning.job_arn})
        best = tuning.best.score if tuning.best else None
        _log(rest, parent_id, {f"tuning_cv_{metric}": best}, chosen, {"estimator": config.model.estimator or ""})
        _finish(rest, parent_id, "FINISHED")
    logged = {_tags(r).get(TRIAL_TAG) for r in _find(rest, experiment, f"tags.`{PARENT_TAG}` = '{parent_id}'")}
    for trial in tuning.trials:
        if trial.name not in logged:
            _log_trial(rest, experiment, parent_id, run_id, metric, tuning, trial)
    return parent_id


def _best_params(tuning: TuningJobRecord) -> dict[str, str]:
    return dict(tuning.best.params) if tuning.best else {}


def _log_trial(
    rest: MlflowRest,
    experiment: str,
    parent_id: str,
    run_id: str,
    metric: str,
    tuning: TuningJobRecord,
    trial: TuningJobTrial,
) -> None:
    best = tuning.best is not None and trial.name == tuning.best.name
    tags = {PARENT_TAG: parent_id, TRIAL_TAG: trial.name, "tuning.best": str(best), "tuning.metric": metric}
    child = _run(rest, experiment, f"{run_id}-{trial.name}", tags)
    status = {"sagemaker.status": trial.status}
    if trial.failure_reason:
        status["failure_reason"] = trial.failure_reason[:5000]  # MLflow's tag value limit is 8,000
    _log(rest, child, {f"cv_{metric}": trial.score}, trial.params, status)
    _finish(rest, child, "FINISHED" if trial.score is not None else "FAILED")


def _experiment(rest: MlflowRest, name: str) -> str:
    try:
        found = rest.call("GET", "experiments/get-by-name", {"experiment_name": name})
        return str(found["experiment"]["experiment_id"])
    except MlflowError as error:
        if error.code != "RESOURCE_DOES_NOT_EXIST":
            raise
    return str(rest.call("POST", "experiments/create", {"name": name})["experiment_id"])


def _find(rest: MlflowRest, experiment: str, query: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token = None
    while True:
        body = {"experiment_ids": [experiment], "filter": query, "max_results": SEARCH_PAGE}
        page = rest.call("POST", "runs/search", {**body, **({"page_token": token} if token else {})})
        found += page.get("runs", [])
        token = page.get("next_page_token")
        if not token:
            return found


def _tags(run: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in (run.get("data") or {}).get("tags", [])}


def _run(rest: MlflowRest, experiment: str, name: str, tags: dict[str, str]) -> str:
    body = {"experiment_id": experiment, "run_name": name, "start_time": _now(), "tags": _pairs(tags)}
    return str(rest.call("POST", "runs/create", body)["run"]["info"]["run_id"])


def _log(
    rest: MlflowRest, run: str, metrics: dict[str, float | None], params: dict[str, str], tags: dict[str, str]
) -> None:
    numbers = [{"key": k, "value": v, "timestamp": _now(), "step": 0} for k, v in metrics.items() if v is not None]
    named = _pairs({f"param.{k}": v for k, v in sorted(params.items())})
    for start in range(0, max(len(named), 1), PARAMS_PER_BATCH):
        first = start == 0
        batch = {
            "run_id": run,
            "params": named[start : start + PARAMS_PER_BATCH],
            "tags": _pairs(tags) if first else [],
        }
        rest.call("POST", "runs/log-batch", {**batch, "metrics": numbers if first else []})


def _finish(rest: MlflowRest, run: str, status: str) -> None:
    rest.call("POST", "runs/update", {"run_id": run, "status": status, "end_time": _now()})


def _pairs(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in values.items()]


def _now() -> int:
    return int(time.time() * 1000)
