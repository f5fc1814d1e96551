"""A SageMaker hyperparameter tuning job's record of its trials (DescribeHyperParameterTuningJob for the best and
the budget, ListTrainingJobsForHyperParameterTuningJob page by page for every trial), for the model card
(slipstream/package_card.py, in the QualityGate Lambda) and MLflow's trial runs (the MLflow Lambda) on AWS.

Both Lambdas read the job themselves rather than pass hundreds of trials through the execution's state (256 KB).
"""

from __future__ import annotations

from typing import Any

from slipstream.documents.tuning import TuningJobRecord, TuningJobTrial

TRIAL_PREFIX = "estimator__"  # the Pipeline's name of an estimator parameter (training/train.py TRIAL_PREFIX)
PAGE = 100  # ListTrainingJobsForHyperParameterTuningJob's MaxResults at most
ACTIONS = ("sagemaker:DescribeHyperParameterTuningJob", "sagemaker:ListTrainingJobsForHyperParameterTuningJob")


def read_tuning_job(sagemaker: Any, name: str, *, page: int = PAGE) -> TuningJobRecord:
    """The job's trials as it records them; `sagemaker` is a boto3 SageMaker client."""
    job = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    config = job["HyperParameterTuningJobConfig"]
    objective = config["HyperParameterTuningJobObjective"]
    best = job.get("BestTrainingJob")
    return TuningJobRecord(
        job_name=name,
        job_arn=job["HyperParameterTuningJobArn"],
        status=job["HyperParameterTuningJobStatus"],
        metric=objective["MetricName"],
        higher_is_better=objective["Type"] == "Maximize",
        trials_requested=int(config["ResourceLimits"]["MaxNumberOfTrainingJobs"]),
        best=_trial(best) if best else None,
        trials=[_trial(summary) for summary in _summaries(sagemaker, name, page)],
    )


def _summaries(sagemaker: Any, name: str, page_size: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, MaxResults=page_size, SortBy="CreationTime", **_token(token)
        )
        found += page["TrainingJobSummaries"]
        token = page.get("NextToken")
        if not token:
            return found


def _token(token: str | None) -> dict[str, str]:
    return {"NextToken": token} if token else {}


def _trial(summary: dict[str, Any]) -> TuningJobTrial:
    metric = summary.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    return TuningJobTrial(
        name=summary["TrainingJobName"],
        status=summary["TrainingJobStatus"],
        params={k.removeprefix(TRIAL_PREFIX): v for k, v in (summary.get("TunedHyperParameters") or {}).items()},
        score=metric.get("Value"),
        failure_reason=summary.get("FailureReason"),
    )
