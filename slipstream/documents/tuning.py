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
