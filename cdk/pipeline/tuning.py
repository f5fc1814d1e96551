"""Tune: with [tuning], a SageMaker hyperparameter tuning job (`.sync`) takes Train's place, and the best trial's
model continues through Evaluate and the gate exactly as Train's would (`$.training`).

Each trial is a training job of the same script, image, channel, output and volume key as Train (the
TrainingJobDefinition is Train's own parameters, from the same CDK template): the static hyperparameters are
Train's with `--tuning` in trial mode, plus the trial's values as `estimator__<name>`. The script cross-validates
that one set on the training split and prints the objective line the MetricDefinitions regex reads
(training/tuning.py OBJECTIVE_LINE). CDK has no task for CreateHyperParameterTuningJob: a CustomState.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn

from cdk.pipeline.common import SAGEMAKER_OPTIMIZED_TRANSIENT
from cdk.pipeline.context import PipelineContext, sagemaker_call
from cdk.pipeline.results import RUN_ID
from cdk.pipeline.training import training_job_parameters
from cdk.shared.nag import acknowledge_grants
from slipstream.config import METRICS
from slipstream.tuning_config import SpaceEntry, TuningConfig
from slipstream.tuning_job import TRIAL_PREFIX

JSON = sfn.JsonPath
OBJECTIVE_REGEX = "slipstream-tuning-objective: {metric}=([-+0-9.eE]+);"  # training/tuning.py OBJECTIVE_LINE
# Train's fields a TrainingJobDefinition has (HyperParameters become StaticHyperParameters, set apart).
DEFINITION_FIELDS = ("RoleArn", "InputDataConfig", "OutputDataConfig", "ResourceConfig", "StoppingCondition")
MANAGED_RULE = "StepFunctionsGetEventsForSageMakerTuningJobsRule"


def objective_name(metric: str) -> str:
    return f"cv:{metric}"


def tuning_job_name(ctx: PipelineContext) -> str:
    """Tuning job names have at most 32 characters, fewer than `<job prefix>-<run id>` may take: the MD5 of that
    name (32 hex digits), unique per stage and run, and the same on a retry of the state."""
    return JSON.hash(JSON.format(f"{ctx.settings.job_prefix}-{{}}-tune", JSON.string_at(RUN_ID)), "MD5")


def parameter_ranges(space: dict[str, SpaceEntry]) -> dict[str, list[dict[str, Any]]]:
    """[tuning.space] as ParameterRanges: values are strings in this API; a choice travels as its text, which
    train.py maps back to the configured value (training/search_space.py trial_value)."""
    ranges: dict[str, list[dict[str, Any]]] = {
        "IntegerParameterRanges": [],
        "ContinuousParameterRanges": [],
        "CategoricalParameterRanges": [],
    }
    for name, entry in sorted(space.items()):
        if entry.choices is not None:
            ranges["CategoricalParameterRanges"].append(
                {"Name": TRIAL_PREFIX + name, "Values": [str(c) for c in entry.choices]}
            )
            continue
        kind = "IntegerParameterRanges" if entry.kind == "integer" else "ContinuousParameterRanges"
        ranges[kind].append(
            {
                "Name": TRIAL_PREFIX + name,
                "MinValue": str(entry.low),
                "MaxValue": str(entry.high),
                "ScalingType": "Logarithmic" if entry.log else "Linear",
            }
        )
    return {kind: items for kind, items in ranges.items() if items}


def _job_config(tuning: TuningConfig, task: str) -> dict[str, Any]:
    metric = tuning.metric or ""
    return {
        "Strategy": "Bayesian" if tuning.strategy == "bayesian" else "Random",
        "HyperParameterTuningJobObjective": {
            "Type": "Maximize" if METRICS[task][metric] else "Minimize",  # type: ignore[index]
            "MetricName": objective_name(metric),
        },
        "ResourceLimits": {
            "MaxNumberOfTrainingJobs": tuning.trials,
            "MaxParallelTrainingJobs": min(tuning.parallel_trials, tuning.trials),
            "MaxRuntimeInSeconds": tuning.timeout_minutes * 60,
        },
        "ParameterRanges": parameter_ranges(tuning.space),
        "TrainingJobEarlyStoppingType": "Off",
    }


def tune(ctx: PipelineContext) -> sfn.IChainable:
    """Tune (.sync) -> DescribeBestTrainingJob, which leaves `$.training` as Train leaves it."""
    config = ctx.settings.config
    assert config.tuning is not None, "tune() is for a config with [tuning]"
    train = training_job_parameters(ctx)
    image = train["AlgorithmSpecification"]
    metric = config.tuning.metric or ""
    definition = {key: train[key] for key in DEFINITION_FIELDS}
    definition["StaticHyperParameters"] = ctx.training_hyperparameters(tuning_mode="trial")
    # No ContainerEntrypoint in a tuning job's algorithm: the image's own `train` runs the script (its failure
    # reason is the trainer's, not the script's failure file).
    definition["AlgorithmSpecification"] = {
        "TrainingImage": image["TrainingImage"],
        "TrainingInputMode": image["TrainingInputMode"],
        "MetricDefinitions": [{"Name": objective_name(metric), "Regex": OBJECTIVE_REGEX.format(metric=metric)}],
    }
    state = sfn.CustomState(
        ctx.scope,
        "Tune",
        state_json={
            "Type": "Task",
            "Resource": "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync",
            "Parameters": {
                "HyperParameterTuningJobName.$": tuning_job_name(ctx),
                "HyperParameterTuningJobConfig": _job_config(config.tuning, config.data.task),
                "TrainingJobDefinition": definition,
            },
            "ResultSelector": {
                "job_name.$": "$.HyperParameterTuningJobName",
                "best_job.$": "$.BestTrainingJob.TrainingJobName",
                "best_objective.$": "$.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value",
            },
            "ResultPath": "$.tuning",
        },
    )
    ctx.guard(state, SAGEMAKER_OPTIMIZED_TRANSIENT)
    best = sagemaker_call(
        ctx,
        "DescribeBestTrainingJob",
        "describeTrainingJob",
        {"TrainingJobName": JSON.string_at("$.tuning.best_job")},
        # The trials are named by SageMaker after the tuning job (`<name>-NNN-<hex>`), and that name is a hash.
        [ctx.arn("training-job", "*")],
        result_selector={
            "model_data_url": JSON.string_at("$.ModelArtifacts.S3ModelArtifacts"),
            "job_name": JSON.string_at("$.TrainingJobName"),
        },
        result_path="$.training",
    )
    return state.next(best)


def tuning_permissions(ctx: PipelineContext) -> list[iam.PolicyStatement]:
    """The .sync tuning integration's statements: create, describe, stop and list the job's training jobs (Step
    Functions stops them on a cancelled execution), tags, the managed rule, PassRole of the trials' role."""
    if ctx.settings.config.tuning is None:
        return []
    stack = Stack.of(ctx.scope)
    return [
        iam.PolicyStatement(
            actions=[
                "sagemaker:CreateHyperParameterTuningJob",
                "sagemaker:DescribeHyperParameterTuningJob",
                "sagemaker:StopHyperParameterTuningJob",
                "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
                "sagemaker:AddTags",
            ],
            resources=[ctx.arn("hyper-parameter-tuning-job", "*")],
        ),
        iam.PolicyStatement(
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[stack.format_arn(service="events", resource="rule", resource_name=MANAGED_RULE)],
        ),
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[ctx.sagemaker_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
    ]


def acknowledge_tuning(ctx: PipelineContext, role: iam.IRole) -> None:
    """The tuning job's and its trials' names are a hash (tuning_job_name): no prefix can narrow them."""
    if ctx.settings.config.tuning is None:
        return
    account = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
    reasons = {
        f"{account}:hyper-parameter-tuning-job/*": "Tuning job names are at most 32 characters, so a per-run name is "
        "an MD5 hash with no project prefix; the role can only create jobs that run as the pipeline's SageMaker role.",
        f"{account}:training-job/*": "DescribeTrainingJob of the best trial, named by SageMaker after the hashed "
        "tuning job name (read-only).",
    }
    acknowledge_grants(role, reasons)
