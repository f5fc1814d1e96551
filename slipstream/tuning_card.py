"""The hyperparameter search in a model package's model card (slipstream/package_card.py), from the SageMaker tuning
job's own record (slipstream/tuning_job.py): the chosen parameters, the best trial's objective, and the trials'
table as an evaluation of its own, best first, with a link to the tuning job where it has more trials than the
card's metric group can hold (50)."""

from __future__ import annotations

import json
from typing import Any

from slipstream.documents.tuning import TuningJobRecord

MAX_TRIALS = 50  # metric_data items of one metric group
TEXT = 1024
METRIC_NAME = 255


def _text(value: str, limit: int = TEXT) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def chosen_parameters(fixed: dict[str, Any], tuning: TuningJobRecord | None) -> list[dict[str, str]]:
    """`hyper_parameters`: the configured ones (as JSON) and the best trial's (as the tuning job passed them)."""
    chosen = {k: json.dumps(v) for k, v in fixed.items()}
    chosen |= tuning.best.params if tuning and tuning.best else {}
    return [{"name": _text(k, METRIC_NAME), "value": _text(v)} for k, v in sorted(chosen.items())]


def objective_metrics(tuning: TuningJobRecord | None) -> list[dict[str, Any]]:
    """`training_metrics`: the best trial's cross-validated objective, as the tuning job read it."""
    if tuning is None or tuning.best is None or tuning.best.score is None:
        return []
    notes = f"best of {len(tuning.trials)} trial(s) of tuning job {tuning.job_name}, on the training split only"
    return [{"name": tuning.metric, "value": float(tuning.best.score), "notes": _text(notes)}]


def search_evaluation(tuning: TuningJobRecord, data_source: str) -> dict[str, Any]:
    """An `evaluation_details` entry: every scored trial (best first), and the failed ones counted."""
    ranked = tuning.ranked()
    shown = ranked[:MAX_TRIALS]
    trials = [
        {
            "name": _text(f"{trial.name}{' (best)' if tuning.best and trial.name == tuning.best.name else ''}"),
            "type": "number",
            "value": float(trial.score or 0.0),
            "notes": _text(", ".join(f"{k}={v}" for k, v in sorted(trial.params.items()))),
        }
        for trial in shown
    ]
    more = f"; {len(ranked) - len(shown)} more scored trial(s) in the tuning job" if len(ranked) > len(shown) else ""
    observation = (
        f"{tuning.summary()}. Each trial cross-validated on the training split only; the held-out rows were not "
        f"seen by the search{more}. All trials: {tuning.console_url()}"
    )
    return {
        "name": "hyperparameter search",
        "evaluation_observation": _text(observation),
        "datasets": [data_source],
        # The link again where no long summary can cut it off.
        "metadata": {"tuning_job": tuning.job_arn, "status": tuning.status, "console": tuning.console_url()},
        "metric_groups": [{"name": f"trials by {tuning.metric}"[:63], "metric_data": trials}] if trials else [],
    }
