"""ValidateData -> Train -> (find the champion) -> Evaluate -> QualityGate: the states up to the gate's Choice."""

from __future__ import annotations

from aws_cdk import Duration, Size
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from cdk.pipeline import validation
from cdk.pipeline.common import SAGEMAKER_OPTIMIZED_TRANSIENT
from cdk.pipeline.context import PipelineContext, sagemaker_call
from cdk.pipeline.instances import check_instance_type
from cdk.pipeline.results import EXECUTION, GATE, RUN_ID, VALIDATION
from cdk.shared.processing_job import s3_input
from slipstream import job_arguments
from slipstream.documents.gate import GateRequest
from slipstream.documents.run import RunRequest
from slipstream.job_commands import TRAINING_ENTRYPOINT
from slipstream.layout import (
    BASELINE,
    CHANNEL_CONTENT_TYPE,
    EVALUATION,
    EVALUATION_OUTPUT,
    MODEL_ARCHIVE,
    MODEL_OUTPUT,
    RUN_ID_SLOT,
    retained_key,
    run_key,
)

JSON = sfn.JsonPath
TRAIN_TEMPLATE = "TrainTaskTemplate"  # construct id of CDK's task that Train is rendered from (not a state)


def run_paths(ctx: PipelineContext) -> sfn.Pass:
    """Where this run's model and evaluation go: s3://<artifacts>/runs/<run id>/... (expires), and where a model
    that passed the gate is kept for as long as an endpoint config may load it: s3://<artifacts>/models/<run id>/."""
    bucket = ctx.artifact_bucket.bucket_name

    def uri(key: str) -> str:
        return JSON.format(f"s3://{bucket}/{key}", JSON.string_at("$.run_id"))

    return sfn.Pass(
        ctx.scope,
        "RunPaths",
        result_path="$.paths",
        parameters={
            "model_output": uri(run_key(RUN_ID_SLOT, MODEL_OUTPUT).rstrip("/")),
            "evaluation_output": uri(run_key(RUN_ID_SLOT, EVALUATION_OUTPUT).rstrip("/")),
            "evaluation_uri": uri(run_key(RUN_ID_SLOT, EVALUATION)),
            "retained_model_uri": uri(retained_key(RUN_ID_SLOT, MODEL_ARCHIVE)),
            "retained_baseline_uri": uri(retained_key(RUN_ID_SLOT, BASELINE)),
            "data_uri": JSON.format(
                "s3://{}/{}",
                JSON.string_at(EXECUTION.field("data", "bucket")),
                JSON.string_at(EXECUTION.field("data", "key")),
            ),
        },
    )


def validate_data(ctx: PipelineContext) -> sfn.Chain:
    """The Lambda, or a processing job for data above the stage's threshold (cdk/pipeline/validation.py)."""
    payload = {"run_id": JSON.string_at(RUN_ID), "data": JSON.object_at(EXECUTION.field("data"))}
    return validation.validate_data(ctx, ctx.invoke("ValidateData", ctx.validate_fn, RunRequest, payload, VALIDATION))


def train(ctx: PipelineContext) -> sfn.CustomState:
    """CDK's training-job task as rendered, plus what it has no field for: the warm pool's KeepAlivePeriodInSeconds
    (`training_keep_alive_minutes`), and the ContainerEntrypoint (job_commands.py:
    without it the image's own `train`, sagemaker-containers' trainer, overwrites the failure reason the script wrote
    to /opt/ml/output/failure with "framework error: <traceback>", and DescribeTrainingJob shows that instead).
    The task itself is not in the graph, so its IAM statements are granted by train_permissions()."""
    # The CustomState is chained like any state, so not CDK's "End" of the lone task.
    state_json = {k: v for k, v in _training_task(ctx).to_state_json().items() if k != "End"}
    parameters = dict(state_json["Parameters"])
    parameters["AlgorithmSpecification"] = {
        **parameters["AlgorithmSpecification"],
        "ContainerEntrypoint": TRAINING_ENTRYPOINT,
    }
    keep_alive = ctx.settings.stage.training_keep_alive_minutes
    if keep_alive:  # a warm pool (opt-in): CDK's ResourceConfig has no KeepAlivePeriodInSeconds
        parameters["ResourceConfig"] = {**parameters["ResourceConfig"], "KeepAlivePeriodInSeconds": keep_alive * 60}
    state_json["Parameters"] = parameters
    state = sfn.CustomState(ctx.scope, "Train", state_json=state_json)
    ctx.guard(state, SAGEMAKER_OPTIMIZED_TRANSIENT)
    return state


def training_job_parameters(ctx: PipelineContext) -> dict:
    """Train's CreateTrainingJob parameters as rendered (the tuning job's trials use the same, cdk/pipeline/tuning.py).
    Builds the template if train() has not."""
    template = ctx.scope.node.try_find_child(TRAIN_TEMPLATE) or _training_task(ctx)
    assert isinstance(template, _TrainingJobTemplate)
    return dict(template.to_state_json()["Parameters"])


def train_permissions(ctx: PipelineContext) -> list[iam.PolicyStatement]:
    """Exactly what CDK's SageMakerCreateTrainingJob would grant the state machine (.sync: create, describe,
    stop, the managed EventBridge rule, iam:PassRole of the SageMaker role); none with [tuning], where the tuning
    job creates the trials and tuning_permissions() grants what the state machine does instead."""
    if ctx.settings.config.tuning is not None:
        return []
    template = ctx.scope.node.try_find_child(TRAIN_TEMPLATE)
    assert isinstance(template, _TrainingJobTemplate), "train() (or tune()) builds the template first"
    return template.policies


class _TrainingJobTemplate(tasks.SageMakerCreateTrainingJob):
    @property
    def policies(self) -> list[iam.PolicyStatement]:
        """The task's own statements (CDK's protected taskPolicies, open to subclasses)."""
        return list(self._task_policies or [])


def _training_task(ctx: PipelineContext) -> _TrainingJobTemplate:
    stage = ctx.settings.stage
    return _TrainingJobTemplate(
        ctx.scope,
        TRAIN_TEMPLATE,
        training_job_name=ctx.name_of("-train"),
        role=ctx.sagemaker_role,
        algorithm_specification=tasks.AlgorithmSpecification(
            training_image=tasks.DockerImage.from_registry(ctx.image_uri),
            training_input_mode=tasks.InputMode.FILE,
        ),
        hyperparameters=ctx.training_hyperparameters(),
        input_data_config=[
            tasks.Channel(
                channel_name="train",
                content_type=CHANNEL_CONTENT_TYPE,
                data_source=tasks.DataSource(
                    s3_data_source=tasks.S3DataSource(
                        s3_location=tasks.S3Location.from_json_expression(VALIDATION.field("train_uri")),
                        s3_data_type=tasks.S3DataType.S3_PREFIX,
                    )
                ),
            )
        ],
        output_data_config=tasks.OutputDataConfig(
            s3_output_location=tasks.S3Location.from_json_expression("$.paths.model_output"),
            encryption_key=ctx.key,
        ),
        resource_config=tasks.ResourceConfig(
            instance_count=stage.training_instance_count,
            instance_type=ec2.InstanceType(_training_instance(ctx).removeprefix("ml.")),
            volume_size=Size.gibibytes(10),
            volume_encryption_key=ctx.key,
        ),
        stopping_condition=tasks.StoppingCondition(max_runtime=Duration.minutes(stage.max_training_minutes)),
        integration_pattern=sfn.IntegrationPattern.RUN_JOB,
        result_selector={
            "model_data_url": JSON.string_at("$.ModelArtifacts.S3ModelArtifacts"),
            "job_name": JSON.string_at("$.TrainingJobName"),
        },
        result_path="$.training",
    )


def _training_instance(ctx: PipelineContext) -> str:
    stage, name = ctx.settings.stage, ctx.settings.stage_name
    return check_instance_type(name, "training_instance_type", stage.training_instance_type, "TrainingInstanceType")


def find_champion(ctx: PipelineContext, evaluate: sfn.IChainable) -> sfn.IChainable:
    """The champion is the newest Approved package in the group (approved only after its smoke test)."""
    group = ctx.settings.model_package_group
    search = sagemaker_call(
        ctx,
        "FindChampion",
        "listModelPackages",
        {
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": "Approved",
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
            "MaxResults": 1,
        },
        # ListModelPackages supports no resource-level permissions (Service Authorization Reference).
        ["*"],
        result_selector={"packages": JSON.list_at("$.ModelPackageSummaryList")},
        result_path="$.champion_search",
    )
    describe = sagemaker_call(
        ctx,
        "DescribeChampion",
        "describeModelPackage",
        {"ModelPackageName": JSON.string_at("$.champion_search.packages[0].ModelPackageArn")},
        [ctx.arn("model-package", f"{group}/*")],
        result_selector={
            "model_data_url": JSON.string_at("$.InferenceSpecification.Containers[0].ModelDataUrl"),
            "package_arn": JSON.string_at("$.ModelPackageArn"),
        },
        result_path="$.champion",
    )
    with_champion = sfn.Pass(
        ctx.scope,
        "EvaluateAgainstChampion",
        result_path="$.evaluation_inputs",
        parameters=_evaluation_inputs(ctx, champion=True),
    )
    alone = sfn.Pass(
        ctx.scope,
        "EvaluateWithoutChampion",
        result_path="$.evaluation_inputs",
        parameters=_evaluation_inputs(ctx, champion=False),
    )
    choice = sfn.Choice(ctx.scope, "HasChampion")
    choice.when(sfn.Condition.is_present("$.champion_search.packages[0]"), describe.next(with_champion))
    choice.otherwise(alone)
    choice.afterwards().next(evaluate)
    return search.next(choice)


# Where each evaluation input comes from in the execution's state (names and arguments: slipstream/job_arguments.py).
EVALUATION_SOURCES = {
    job_arguments.MODEL: "$.training.model_data_url",
    job_arguments.TEST: VALIDATION.field("test_uri"),
    job_arguments.CONFIG: VALIDATION.field("behaviour_uri"),
    job_arguments.CHAMPION: "$.champion.model_data_url",
}


def _evaluation_inputs(ctx: PipelineContext, *, champion: bool) -> dict:
    inputs = [
        s3_input(name, job_arguments.processing_path(name), uri_path=EVALUATION_SOURCES[name])
        for name in job_arguments.evaluation_inputs(champion=champion)
    ]
    inputs.append(s3_input("code", job_arguments.CODE_DIR, uri=ctx.sourcedir_uri))
    return {"inputs": inputs, "arguments": job_arguments.evaluation_arguments(champion=champion)}


def quality_gate(ctx: PipelineContext) -> sfn.TaskStateBase:
    """The decision, and the model card every package of this run carries (slipstream/package_card.py)."""
    payload = {
        "run_id": JSON.string_at(RUN_ID),
        "evaluation_uri": JSON.string_at("$.paths.evaluation_uri"),
        "card": card_sources(ctx),
    }
    return ctx.invoke("QualityGate", ctx.gate_fn, GateRequest, payload, GATE)


def card_sources(ctx: PipelineContext) -> dict[str, str]:
    """The lineage facts the state machine knows (CardSources): for the model card and MLflow's tags."""
    bucket, key = EXECUTION.field("data", "bucket"), EXECUTION.field("data", "key")
    return {
        "data_uri": JSON.format("s3://{}/{}", JSON.string_at(bucket), JSON.string_at(key)),
        "data_sha256": JSON.string_at(VALIDATION.field("data_sha256")),
        "git_commit": ctx.settings.code_version,
        "config_sha256": ctx.settings.config_sha256,
        "training_job": JSON.string_at("$.training.job_name"),
        "model_artifact": JSON.string_at("$.training.model_data_url"),
        "contract_uri": JSON.string_at(VALIDATION.field("contract_uri")),
        **({"tuning_job": JSON.string_at("$.tuning.job_name")} if ctx.settings.config.tuning else {}),
    }
