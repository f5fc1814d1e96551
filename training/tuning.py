"""Hyperparameter search inside the training job, on the training split only.

Locally the job runs the whole search: scikit-learn's RandomizedSearchCV over `[tuning.space]`, cross-validated
within the rows of the train channel (the held-out split never reaches the job), with the gate's own metric code
(eval_metrics.metric_value) as the scorer, within a trial count and a wall-time budget; the best parameters are
refit on the whole training split. On AWS, a SageMaker tuning job starts one training job per trial with the
trial's values as hyperparameters: `cross_validate_trial` scores that one set the same way and prints the
objective line the tuning job's MetricDefinitions regex reads (OBJECTIVE_LINE).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from eval_metrics import metric_value
from model_pipeline import FrameModel, model_array
from search_space import PREFIX, distributions, plain, trial_value
from sklearn.model_selection import KFold, ParameterSampler, RandomizedSearchCV, StratifiedKFold, cross_validate
from sm_paths import JobError

# The tuning job's objective: cdk/pipeline/tuning.py's MetricDefinitions regex matches this line.
OBJECTIVE_LINE = "slipstream-tuning-objective: {metric}={value:.10g};"


class BudgetedSearch(RandomizedSearchCV):
    """RandomizedSearchCV that starts no new trial after its deadline (the first always runs: a search with no
    result has no model to refit). `_run_search` is scikit-learn's extension point for custom searchers;
    candidates go one at a time so the budget is checked between trials."""

    deadline: float = float("inf")

    def _run_search(self, evaluate_candidates: Any) -> None:
        sampler = ParameterSampler(self.param_distributions, self.n_iter, random_state=self.random_state)
        for index, candidate in enumerate(sampler):
            if index and time.monotonic() >= self.deadline:
                return
            evaluate_candidates([candidate])


def scorer(task: str, metric: str, higher_is_better: bool) -> Any:
    """The held-out metric's own code as a CV scorer; negated when lower is better (scikit-learn maximises)."""
    sign = 1.0 if higher_is_better else -1.0

    def score(estimator: Any, x: Any, y: pd.Series) -> float:
        value = metric_value(task, metric, estimator, x, y)
        return float("nan") if value is None else sign * value

    return score


def folds(task: str, cv_folds: int, seed: int, y: pd.Series) -> Any:
    if task == "classification":
        smallest = int(y.value_counts().min())
        if smallest < cv_folds:
            raise JobError(f"tuning.cv_folds = {cv_folds}, but a class has only {smallest} training row(s)")
        return StratifiedKFold(n_splits=cv_folds, shuffle=True, random_state=seed)
    if len(y) < 2 * cv_folds:
        raise JobError(f"tuning.cv_folds = {cv_folds} needs at least {2 * cv_folds} training rows, got {len(y)}")
    return KFold(n_splits=cv_folds, shuffle=True, random_state=seed)


def search(
    pipeline: Any, x: Any, y: pd.Series, *, spec: dict[str, Any], task: str, seed: int
) -> tuple[Any, dict[str, Any]]:
    """Run the search and refit the best on all of x; returns the fitted Pipeline and the search's record."""
    started = time.monotonic()
    sign = 1.0 if spec["higher_is_better"] else -1.0
    cv = folds(task, spec["cv_folds"], seed, y)
    searcher = BudgetedSearch(
        pipeline,
        distributions(spec["space"]),
        n_iter=spec["trials"],
        scoring=scorer(task, spec["metric"], spec["higher_is_better"]),
        cv=cv,
        refit=True,
        random_state=seed,
        error_score=np.nan,  # a failing set is one bad trial, recorded with its reason in the log, not a failed job
        n_jobs=1,  # the image's cores go to the estimator; trials run one after another
    )
    searcher.deadline = started + spec["timeout_seconds"]
    searcher.fit(x, y)
    results = searcher.cv_results_
    trials = [_trial(i, results, spec["cv_folds"], sign) for i in range(len(results["params"]))]
    scored = [t for t in trials if t["score"] is not None]
    if not scored:
        raise JobError(f"tuning: every one of the {len(trials)} trial(s) failed to score {spec['metric']}")
    best = trials[int(searcher.best_index_)]
    record = {
        "metric": spec["metric"],
        "higher_is_better": spec["higher_is_better"],
        "cv_folds": spec["cv_folds"],
        "cv_rows": len(x),
        "fold_test_rows": [len(test) for _, test in cv.split(x, y)],
        "trials_requested": spec["trials"],
        "trials_run": len(trials),
        "stopped_by": "trials" if len(trials) >= min(spec["trials"], _space_size(spec["space"])) else "timeout",
        "timeout_seconds": spec["timeout_seconds"],
        "seconds": round(time.monotonic() - started, 3),
        "refit_seconds": round(float(searcher.refit_time_), 3),
        "best": {"trial": best["trial"], "params": best["params"], "score": best["score"]},
        "trials": trials,
    }
    return searcher.best_estimator_, record


def _trial(index: int, results: dict[str, Any], cv_folds: int, sign: float) -> dict[str, Any]:
    fold_scores = [_finite(sign * results[f"split{k}_test_score"][index]) for k in range(cv_folds)]
    return {
        "trial": index,
        "params": plain(results["params"][index]),
        "score": _finite(sign * results["mean_test_score"][index]),
        "score_std": _finite(results["std_test_score"][index]),
        "fold_scores": fold_scores,
        "fit_seconds": round(float(results["mean_fit_time"][index]) * cv_folds, 3),
    }


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _space_size(space: dict[str, dict[str, Any]]) -> float:
    """How many distinct sets exist (ParameterSampler draws each at most once when every entry is a list)."""
    if any(entry.get("choices") is None for entry in space.values()):
        return float("inf")
    return float(np.prod([len(entry["choices"]) for entry in space.values()]))


def cross_validate_trial(
    pipeline: Any, x: Any, y: pd.Series, *, spec: dict[str, Any], task: str, seed: int
) -> dict[str, Any]:
    """One SageMaker tuning trial: the CV score of the Pipeline as configured (the trial's values already set)."""
    sign = 1.0 if spec["higher_is_better"] else -1.0
    scored = cross_validate(
        pipeline,
        x,
        y,
        cv=folds(task, spec["cv_folds"], seed, y),
        scoring=scorer(task, spec["metric"], spec["higher_is_better"]),
    )
    fold_scores = [sign * float(s) for s in scored["test_score"]]
    if not all(np.isfinite(fold_scores)):
        raise JobError(f"tuning: {spec['metric']} is undefined on a cross-validation fold of this trial")
    score = float(np.mean(fold_scores))
    print(OBJECTIVE_LINE.format(metric=spec["metric"], value=score), flush=True)
    return {"metric": spec["metric"], "score": score, "fold_scores": fold_scores, "cv_rows": len(x)}


def tune(
    pipeline: Any,
    x: pd.DataFrame,
    y: pd.Series,
    *,
    spec: dict[str, Any],
    task: str,
    seed: int,
    trial_values: dict[str, str],
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The training job's tuning hook: (the fitted Pipeline, the chosen parameters, the record for tuning.json).

    mode "search" (local): the whole search in this job. mode "trial" (a SageMaker tuning job's training job):
    score the values the tuning job chose (`trial_values`, `--<name> <value>` flags), then fit on all rows.
    `pipeline` is the training side's FrameModel: the search runs on the bare Pipeline and the positional array the
    model is fitted on (scikit-learn's searchers clone and tag real estimators only), and the result is wrapped
    back."""
    bare, x_model = pipeline.pipeline, model_array(x, pipeline.features)
    if spec.get("mode", "search") == "search":
        if trial_values:
            raise JobError(f"tuning: unexpected parameter flags {sorted(trial_values)} for a local search")
        fitted, record = search(bare, x_model, y, spec=spec, task=task, seed=seed)
        return FrameModel(fitted, pipeline.features), dict(record["best"]["params"]), {"mode": "search", **record}
    missing = sorted(set(spec["space"]) - set(trial_values))
    unknown = sorted(set(trial_values) - set(spec["space"]))
    if missing or unknown:
        raise JobError(f"tuning trial: missing values for {missing}, values for parameters not searched {unknown}")
    chosen = {name: trial_value(name, text, spec["space"][name]) for name, text in trial_values.items()}
    bare.set_params(**{PREFIX + name: value for name, value in chosen.items()})
    record = cross_validate_trial(bare, x_model, y, spec=spec, task=task, seed=seed)
    bare.fit(x_model, y)
    return FrameModel(bare, pipeline.features), chosen, {"mode": "trial", "params": chosen, **record}
