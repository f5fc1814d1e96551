"""The emulated tuning service (slipstream/local/stepfunctions/tuning_jobs.py): what it refuses as SageMaker does,
how it draws trials within the ranges, and how it reads the objective from a trial's log."""

from __future__ import annotations

import random
from typing import Any

from slipstream.local.stepfunctions import tuning_jobs as service

RANGES = {
    "IntegerParameterRanges": [{"Name": "estimator__depth", "MinValue": "2", "MaxValue": "9", "ScalingType": "Linear"}],
    "ContinuousParameterRanges": [
        {"Name": "estimator__C", "MinValue": "0.001", "MaxValue": "10", "ScalingType": "Logarithmic"}
    ],
    "CategoricalParameterRanges": [{"Name": "estimator__solver", "Values": ["lbfgs", "liblinear"]}],
}
REGEX = "slipstream-tuning-objective: roc_auc=([-+0-9.eE]+);"


def _request(**changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    config = {
        "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "cv:roc_auc"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 1},
        "ParameterRanges": RANGES,
    }
    definition = {
        "StaticHyperParameters": {"seed": "42"},
        "AlgorithmSpecification": {"MetricDefinitions": [{"Name": "cv:roc_auc", "Regex": REGEX}]},
    }
    for key, value in changes.items():
        (config if key in config else definition)[key] = value
    return config, definition


def test_a_well_formed_request_passes() -> None:
    assert service.request_problems(*_request()) == []


def test_what_the_service_refuses_beyond_the_api_model() -> None:
    objective = {"Type": "Maximize", "MetricName": "cv:f1"}
    assert (
        "not defined in the algorithm's MetricDefinitions"
        in service.request_problems(*_request(HyperParameterTuningJobObjective=objective))[0]
    )
    static = {"estimator__C": "1.0"}
    assert service.request_problems(*_request(StaticHyperParameters=static)) == [
        "Hyperparameter 'estimator__C' is both static and tunable"
    ]
    inverted = {"IntegerParameterRanges": [{"Name": "d", "MinValue": "9", "MaxValue": "2"}]}
    assert service.request_problems(*_request(ParameterRanges=inverted)) == ["d: MinValue 9 is greater than MaxValue 2"]
    log_from_zero = {
        "ContinuousParameterRanges": [{"Name": "a", "MinValue": "0", "MaxValue": "1", "ScalingType": "Logarithmic"}]
    }
    assert (
        "Logarithmic scaling needs MinValue > 0"
        in service.request_problems(*_request(ParameterRanges=log_from_zero))[0]
    )
    limits = {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 3}
    assert service.request_problems(*_request(ResourceLimits=limits)) == [
        "MaxParallelTrainingJobs cannot exceed MaxNumberOfTrainingJobs"
    ]


def test_draws_stay_within_the_ranges_and_are_seeded_by_the_job() -> None:
    draws = [service.draw(RANGES, service.seeded("job")) for _ in range(2)]
    assert draws[0] == draws[1]  # the same job name, the same trials
    rng = random.Random(0)
    for _ in range(200):
        values = service.draw(RANGES, rng)
        assert 2 <= int(values["estimator__depth"]) <= 9 and 0.001 <= float(values["estimator__C"]) <= 10
        assert values["estimator__solver"] in ("lbfgs", "liblinear")


def test_the_objective_is_the_last_value_the_regex_reads() -> None:
    log = "epoch\nslipstream-tuning-objective: roc_auc=0.5;\nslipstream-tuning-objective: roc_auc=0.93;\n"
    assert service.objective_value(log, REGEX) == 0.93
    assert service.objective_value("nothing printed", REGEX) is None


def test_the_best_trial_follows_the_objectives_direction() -> None:
    trials = [service.Trial(f"t{i}", {}, "Completed", value) for i, value in enumerate([0.2, 0.9, None, 0.5])]
    assert service.best_of(trials, "Maximize").name == "t1"
    assert service.best_of(trials, "Minimize").name == "t0"
    assert service.best_of([service.Trial("f", {}, "Failed")], "Maximize") is None
