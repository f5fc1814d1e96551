"""Hyperparameter tuning jobs that really run their trials (stepfunctions/tuning_jobs.py) in place of moto's, which
are Completed at once with a canned BestTrainingJob ("FakeTrainingJobName")."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ResourceNotFound, ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse

from slipstream.local.stepfunctions import tuning_jobs as service
from slipstream.local.stepfunctions import tuning_list
from slipstream.local.stepfunctions.moto_extensions import costs

POLL_SECONDS = 0.2


def _tuning_jobs_run_their_trials() -> None:
    create = SageMakerModelBackend.create_hyper_parameter_tuning_job

    def create_hyper_parameter_tuning_job(self, **kwargs):  # type: ignore[no-untyped-def]
        config, definition = kwargs["hyper_parameter_tuning_job_config"], kwargs.get("training_job_definition")
        problems = service.request_problems(config, definition)
        if problems:
            raise ValidationError(message="; ".join(problems))
        arn = create(self, **kwargs)
        job = self.hyper_parameter_tuning_jobs[kwargs["hyper_parameter_tuning_job_name"]]
        job.hyper_parameter_tuning_job_status = "InProgress"
        job.best_training_job = None
        job.OverallBestTrainingJob = None
        job.hyper_parameter_tuning_end_time = None
        job.tuning_job_completion_details = None
        _counters(job, [])
        job.slipstream_trials = []  # what ListTrainingJobsForHyperParameterTuningJob lists
        threading.Thread(target=_run, args=(self, job), daemon=True, name="sagemaker-tuning-job").start()
        return arn

    SageMakerModelBackend.create_hyper_parameter_tuning_job = create_hyper_parameter_tuning_job


def _run(backend: Any, job: Any) -> None:
    """The trials one after another within the budget, then the job's end state (Completed if any trial's
    objective was read, else Failed, as SageMaker ends a tuning job whose every trial failed)."""
    config, definition = job.hyper_parameter_tuning_job_config, job.training_job_definition
    limits = config["ResourceLimits"]
    deadline = time.monotonic() + int(limits.get("MaxRuntimeInSeconds") or 30 * 24 * 3600)
    rng = service.seeded(job.hyper_parameter_tuning_job_name)
    regex = service.objective_regex(config, definition)
    trials: list[service.Trial] = job.slipstream_trials
    try:
        for index in range(1, int(limits["MaxNumberOfTrainingJobs"]) + 1):
            if trials and time.monotonic() >= deadline:
                break
            trial = service.Trial(
                service.trial_name(job.hyper_parameter_tuning_job_name, index, rng),
                service.draw(config["ParameterRanges"], rng),
            )
            trials.append(trial)
            _run_trial(backend, definition, trial, regex)
            _counters(job, trials)
            _best(backend, job, trials)
    except Exception as error:  # an emulation bug must still end the job, never hang the execution
        job.failure_reason = f"InternalServerError: {type(error).__name__}: {error}"
    best = service.best_of(trials, config["HyperParameterTuningJobObjective"]["Type"])
    if best is None and not job.failure_reason:
        job.failure_reason = (
            f"All training jobs failed. Last failure: {trials[-1].failure_reason if trials else 'none ran'}"
        )
    job.hyper_parameter_tuning_end_time = job.last_modified_time = datetime.now(UTC)
    job.hyper_parameter_tuning_job_status = "Completed" if best is not None and not job.failure_reason else "Failed"
    costs.job_ended()


def _run_trial(backend: Any, definition: dict[str, Any], trial: service.Trial, regex: str) -> None:
    """A training job as SageMaker starts it for a tuning job: the definition, static + tuned hyperparameters."""
    spec = definition["AlgorithmSpecification"]
    training = backend.create_training_job(
        training_job_name=trial.name,
        hyper_parameters={**(definition.get("StaticHyperParameters") or {}), **trial.values},
        algorithm_specification=dict(spec),
        role_arn=definition["RoleArn"],
        input_data_config=definition.get("InputDataConfig") or [],
        output_data_config=definition["OutputDataConfig"],
        resource_config=definition["ResourceConfig"],
        vpc_config=definition.get("VpcConfig"),
        stopping_condition=definition.get("StoppingCondition") or {},
        tags=[],
        enable_network_isolation=definition.get("EnableNetworkIsolation", False),
        enable_inter_container_traffic_encryption=False,
        enable_managed_spot_training=False,
        checkpoint_config=None,
        debug_hook_config=None,
        debug_rule_configurations=None,
        tensor_board_output_config=None,
        experiment_config=None,
    )
    while training.training_job_status in ("InProgress", "Stopping"):
        time.sleep(POLL_SECONDS)
    trial.status, trial.failure_reason = training.training_job_status, training.failure_reason
    trial.ended = datetime.now(UTC)
    log = Path(getattr(training, "workdir", "") or "/nonexistent") / "opt" / "train.log"
    trial.objective = service.objective_value(log.read_text(encoding="utf-8"), regex) if log.is_file() else None


def _counters(job: Any, trials: list[service.Trial]) -> None:
    statuses = [t.status for t in trials]
    job.training_job_status_counters = {
        "Completed": statuses.count("Completed"),
        "InProgress": statuses.count("InProgress"),
        "RetryableError": 0,
        "NonRetryableError": statuses.count("Failed"),
        "Stopped": statuses.count("Stopped"),
    }
    done = [t for t in trials if t.status != "InProgress"]
    job.objective_status_counters = {
        "Succeeded": sum(1 for t in done if t.objective is not None),
        "Pending": len(trials) - len(done),
        "Failed": sum(1 for t in done if t.objective is None),
    }


def _best(backend: Any, job: Any, trials: list[service.Trial]) -> None:
    objective = job.hyper_parameter_tuning_job_config["HyperParameterTuningJobObjective"]
    best = service.best_of(trials, objective["Type"])
    if best is None:
        return
    arn = backend.training_jobs[best.name].arn
    job.best_training_job = service.describe_trial(
        best, tuning_job=job.hyper_parameter_tuning_job_name, arn=arn, objective=objective
    )
    job.last_modified_time = datetime.now(UTC)


def _trials_are_listed() -> None:
    """moto has no ListTrainingJobsForHyperParameterTuningJob; its parameters' constraints are checked by the
    strict account before this runs (strict/params.py), the rest here (tuning_list.py)."""

    def list_training_jobs_for_hyper_parameter_tuning_job(self):  # type: ignore[no-untyped-def]
        name = self._get_param("HyperParameterTuningJobName")
        job = self.sagemaker_backend.hyper_parameter_tuning_jobs.get(name)
        if job is None:
            raise ResourceNotFound(message=f"Could not find hyper parameter tuning job '{name}'.")
        try:
            trials, token = tuning_list.page_of(
                list(getattr(job, "slipstream_trials", [])),
                job_name=name,
                max_results=self._get_param("MaxResults"),
                next_token=self._get_param("NextToken"),
                status=self._get_param("StatusEquals"),
                sort_by=self._get_param("SortBy"),
                sort_order=self._get_param("SortOrder"),
            )
        except tuning_list.BadListRequest as error:
            raise ValidationError(message=str(error)) from None
        objective = job.hyper_parameter_tuning_job_config["HyperParameterTuningJobObjective"]
        backend = self.sagemaker_backend
        summaries = [
            service.describe_trial(t, tuning_job=name, arn=backend.training_jobs[t.name].arn, objective=objective)
            for t in trials
            if t.name in backend.training_jobs
        ]
        return ActionResult({"TrainingJobSummaries": summaries, **({"NextToken": token} if token else {})})

    SageMakerResponse.list_training_jobs_for_hyper_parameter_tuning_job = (
        list_training_jobs_for_hyper_parameter_tuning_job
    )


def patch() -> None:
    """Apply this module's patches to moto (once: `moto_extensions.install` guards it)."""
    _tuning_jobs_run_their_trials()
    _trials_are_listed()
