"""A local search's trials in MLflow: one child run per trial under the model's run (MLflow's parent tag), so the
tracking UI lists them beside the run with their parameters and cross-validated score."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from slipstream.documents.tuning import TuningRecord

PARENT_TAG = "mlflow.parentRunId"  # what MLflow itself sets for a nested run
TUNING_FILE = "tuning.json"  # training/training_run.py TUNING_FILE, in the job's output data folder


def read_tuning(output_data_dir: Path) -> TuningRecord | None:
    """The training job's search record; None when the job searched nothing."""
    path = output_data_dir / TUNING_FILE
    if not path.is_file():
        return None
    return TuningRecord.model_validate(json.loads(path.read_text(encoding="utf-8")))


def log_trials(client: Any, *, experiment_id: str, parent_run_id: str, run_name: str, tuning: TuningRecord) -> None:
    """One finished child run per trial; a trial that failed to score is FAILED, with no score metric."""
    from mlflow.entities import Metric, Param, RunTag

    for trial in tuning.trials:
        tags = {
            PARENT_TAG: parent_run_id,
            "tuning.trial": str(trial.trial),
            "tuning.best": str(trial.trial == tuning.best.trial),
        }
        run = client.create_run(experiment_id, run_name=f"{run_name}-trial-{trial.trial}", tags=tags)
        metrics = {
            f"cv_{tuning.metric}": trial.score,
            f"cv_{tuning.metric}_std": trial.score_std,
            "fit_seconds": trial.fit_seconds,
        }
        metrics |= {f"cv_{tuning.metric}_fold_{k}": score for k, score in enumerate(trial.fold_scores)}
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(name, float(value), 0, 0) for name, value in metrics.items() if value is not None],
            params=[Param(f"param.{name}", _text(value)) for name, value in sorted(trial.params.items())],
            tags=[RunTag("tuning.metric", tuning.metric)],
        )
        client.set_terminated(run.info.run_id, status="FINISHED" if trial.score is not None else "FAILED")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
