"""tuning.json: the hyperparameter search's record, written by training/tuning.py in the training job (which cannot
import this; tests/model/test_tuning.py validates that writer's output here) and read by the local runner for
MLflow's child runs, the model card and the run summary.

`mode = "search"` is a whole local search; `mode = "trial"` is one training job of a SageMaker tuning job, whose
trials the tuning job itself records on AWS.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from slipstream.documents.base import Document

Value = bool | int | float | str


class Trial(Document):
    trial: int = Field(description="Position in the search, from 0.")
    params: dict[str, Value] = Field(description="The estimator's parameters this trial set (its own names).")
    score: float | None = Field(description="Mean cross-validated metric; None: the trial failed to fit or score.")
    score_std: float | None
    fold_scores: list[float | None]
    fit_seconds: float


class Best(Document):
    trial: int
    params: dict[str, Value]
    score: float


class TuningRecord(Document):
    mode: Literal["search"]
    metric: str
    higher_is_better: bool
    cv_folds: int
    cv_rows: int = Field(description="Rows the search cross-validated on: the whole training split, nothing else.")
    fold_test_rows: list[int]
    trials_requested: int
    trials_run: int
    stopped_by: Literal["trials", "timeout"]
    timeout_seconds: int
    seconds: float
    refit_seconds: float
    best: Best
    trials: list[Trial]

    def summary(self) -> str:
        """One line for the run summary and the model card."""
        chosen = ", ".join(f"{k}={_short(v)}" for k, v in sorted(self.best.params.items()))
        stop = "" if self.stopped_by == "trials" else f", stopped by the {self.timeout_seconds // 60}-minute budget"
        return (
            f"tuned {self.trials_run} trial(s) with {self.cv_folds}-fold CV on {self.cv_rows} training rows"
            f"{stop}: best {self.metric} {self.best.score:.4f} with {chosen}"
        )


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class TuningJobTrial(Document):
    """One training job of a SageMaker tuning job, from its HyperParameterTrainingJobSummary."""

    name: str = Field(description="The trial's training job name.")
    status: str = Field(description="TrainingJobStatus: Completed, Failed, Stopped, ...")
    params: dict[str, str] = Field(description="TunedHyperParameters, named as the estimator names them.")
    score: float | None = Field(description="FinalHyperParameterTuningJobObjectiveMetric.Value; None: none read.")
    failure_reason: str | None = None


class TuningJobRecord(Document):
    """A SageMaker hyperparameter tuning job's own record of its search (slipstream/tuning_job.py reads it), from
    which the QualityGate Lambda writes the model card's search section and the MLflow Lambda the trials' runs."""

    job_name: str
    job_arn: str
    status: str
    metric: str = Field(description="The objective metric's name (`cv:<metric>`).")
    higher_is_better: bool
    trials_requested: int = Field(description="ResourceLimits.MaxNumberOfTrainingJobs.")
    best: TuningJobTrial | None = Field(description="BestTrainingJob; None while no trial has an objective.")
    trials: list[TuningJobTrial]

    def ranked(self) -> list[TuningJobTrial]:
        """The trials with an objective, best first."""
        scored = [t for t in self.trials if t.score is not None]
        return sorted(scored, key=lambda t: t.score or 0.0, reverse=self.higher_is_better)

    def console_url(self) -> str:
        region = self.job_arn.split(":")[3]
        return (
            f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/hyper-tuning-jobs/{self.job_name}"
        )

    def summary(self) -> str:
        """One line for the model card."""
        failed = sum(1 for t in self.trials if t.score is None)
        if self.best is None:
            return f"tuning job {self.job_name}: {len(self.trials)} trial(s), none scored"
        chosen = ", ".join(f"{k}={v}" for k, v in sorted(self.best.params.items()))
        return (
            f"SageMaker tuning job {self.job_name}: {len(self.trials)} of {self.trials_requested} trial(s)"
            f"{f' ({failed} without a score)' if failed else ''}; best {self.metric} {self.best.score:.4f} "
            f"({self.best.name}) with {chosen}"
        )
