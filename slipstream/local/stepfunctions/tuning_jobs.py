"""SageMaker hyperparameter tuning jobs, run from their CreateHyperParameterTuningJob request (no moto here; the
patch is moto_extensions/tuning_jobs.py).

What the emulated service does, and where it is simpler than SageMaker's (say so when reading its results):
- each trial is a real training job of the request's TrainingJobDefinition (our training-job emulation: the
  image's Python, the channel from S3, model.tar.gz uploaded), with the static hyperparameters plus the trial's
  values, named `<tuning job>-NNN-<8 hex>` as SageMaker names them;
- the values are drawn at random within each range (Linear or Logarithmic scaling; categorical uniformly), seeded
  by the job's name: SageMaker's Bayesian strategy is not reproduced, only its request and its results' shape;
- trials run one after another (MaxParallelTrainingJobs is checked, not used); the budget is
  MaxNumberOfTrainingJobs and MaxRuntimeInSeconds (no new trial starts after it);
- the objective is the last value of the objective metric's MetricDefinitions regex in the trial's log, as
  SageMaker reads it from the log stream; BestTrainingJob is the best trial whose objective was found.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class Trial:
    name: str
    values: dict[str, str]
    status: str = "InProgress"
    objective: float | None = None
    failure_reason: str | None = None
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime | None = None


def draw(ranges: dict[str, list[dict[str, Any]]], rng: random.Random) -> dict[str, str]:
    """One trial's values, as text (hyperparameters are strings in this API)."""
    values: dict[str, str] = {}
    for item in ranges.get("IntegerParameterRanges", []):
        low, high = int(item["MinValue"]), int(item["MaxValue"])
        if item.get("ScalingType") in ("Logarithmic", "ReverseLogarithmic"):
            values[item["Name"]] = str(min(high, math.floor(math.exp(rng.uniform(math.log(low), math.log(high + 1))))))
        else:
            values[item["Name"]] = str(rng.randint(low, high))
    for item in ranges.get("ContinuousParameterRanges", []):
        lowest, highest = float(item["MinValue"]), float(item["MaxValue"])
        log = item.get("ScalingType") in ("Logarithmic", "ReverseLogarithmic")
        value = math.exp(rng.uniform(math.log(lowest), math.log(highest))) if log else rng.uniform(lowest, highest)
        values[item["Name"]] = repr(min(highest, max(lowest, value)))
    for item in ranges.get("CategoricalParameterRanges", []):
        values[item["Name"]] = rng.choice(item["Values"])
    return values


def seeded(job_name: str) -> random.Random:
    return random.Random(int(hashlib.sha256(job_name.encode()).hexdigest()[:16], 16))


def trial_name(job_name: str, index: int, rng: random.Random) -> str:
    return f"{job_name}-{index:03d}-{rng.getrandbits(32):08x}"


def objective_value(log: str, regex: str) -> float | None:
    """The last value the regex's first group captures in the log (SageMaker's final metric value)."""
    found = [m.group(1) for m in re.finditer(regex, log)]
    try:
        return float(found[-1]) if found else None
    except ValueError:
        return None


def objective_regex(config: dict[str, Any], definition: dict[str, Any]) -> str:
    name = config["HyperParameterTuningJobObjective"]["MetricName"]
    metrics = (definition.get("AlgorithmSpecification") or {}).get("MetricDefinitions") or []
    return next(m["Regex"] for m in metrics if m["Name"] == name)


def best_of(trials: list[Trial], objective_type: str) -> Trial | None:
    scored = [t for t in trials if t.status == "Completed" and t.objective is not None]
    if not scored:
        return None
    pick = max if objective_type == "Maximize" else min
    return pick(scored, key=lambda t: t.objective or 0.0)


def describe_trial(trial: Trial, *, tuning_job: str, arn: str, objective: dict[str, Any]) -> dict[str, Any]:
    """A HyperParameterTrainingJobSummary, as DescribeHyperParameterTuningJob's BestTrainingJob gives it."""
    summary: dict[str, Any] = {
        "TrainingJobName": trial.name,
        "TrainingJobArn": arn,
        "TuningJobName": tuning_job,
        "CreationTime": trial.created,
        "TrainingStartTime": trial.created,
        "TrainingJobStatus": trial.status,
        "TunedHyperParameters": dict(trial.values),
        "ObjectiveStatus": "Succeeded" if trial.objective is not None else "Failed",
    }
    if trial.ended is not None:
        summary["TrainingEndTime"] = trial.ended
    if trial.objective is not None:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": objective["Type"],
            "MetricName": objective["MetricName"],
            "Value": trial.objective,
        }
    if trial.failure_reason:
        summary["FailureReason"] = trial.failure_reason
    return summary


def request_problems(config: dict[str, Any], definition: dict[str, Any] | None) -> list[str]:
    """What CreateHyperParameterTuningJob refuses beyond its model's constraints (ValidationException)."""
    if definition is None:
        return ["TrainingJobDefinition is required (TrainingJobDefinitions is not emulated)"]
    problems = []
    ranges = config.get("ParameterRanges") or {}
    static = definition.get("StaticHyperParameters") or {}
    metrics = {
        m["Name"]: m["Regex"] for m in (definition.get("AlgorithmSpecification") or {}).get("MetricDefinitions") or []
    }
    objective = (config.get("HyperParameterTuningJobObjective") or {}).get("MetricName")
    if objective not in metrics:
        problems.append(f"The objective metric {objective!r} is not defined in the algorithm's MetricDefinitions")
    for name, regex in metrics.items():
        try:
            if re.compile(regex).groups < 1:
                problems.append(f"MetricDefinitions {name!r}: the regex captures no group")
        except re.error as error:
            problems.append(f"MetricDefinitions {name!r}: invalid regex ({error})")
    limits = config.get("ResourceLimits") or {}
    if limits.get("MaxParallelTrainingJobs", 1) > limits.get("MaxNumberOfTrainingJobs", 1):
        problems.append("MaxParallelTrainingJobs cannot exceed MaxNumberOfTrainingJobs")
    names = [item["Name"] for kind in ranges.values() for item in kind]
    if not names:
        problems.append("ParameterRanges names no hyperparameter to tune")
    problems += [f"Hyperparameter {n!r} is both static and tunable" for n in names if n in static]
    problems += [f"Hyperparameter {n!r} has more than one range" for n in {n for n in names if names.count(n) > 1}]
    problems += _range_problems(ranges)
    return problems


def _range_problems(ranges: dict[str, list[dict[str, Any]]]) -> list[str]:
    problems = []
    for kind, parse in (("IntegerParameterRanges", int), ("ContinuousParameterRanges", float)):
        for item in ranges.get(kind, []):
            try:
                low, high = parse(item["MinValue"]), parse(item["MaxValue"])
            except ValueError:
                problems.append(
                    f"{item['Name']}: MinValue/MaxValue must be {'integers' if parse is int else 'numbers'}"
                )
                continue
            if low > high:
                problems.append(f"{item['Name']}: MinValue {low} is greater than MaxValue {high}")
            if item.get("ScalingType") == "Logarithmic" and low <= 0:
                problems.append(f"{item['Name']}: Logarithmic scaling needs MinValue > 0")
    for item in ranges.get("CategoricalParameterRanges", []):
        if len(set(item["Values"])) != len(item["Values"]):
            problems.append(f"{item['Name']}: Values repeats a value")
    return problems
