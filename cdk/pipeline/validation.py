"""ValidateData, by the data's size: the Lambda for small data, a SageMaker processing job above
`[stages.<stage>] validation_processing_threshold_mb` (the Lambda's 2 GB, 512 MB of /tmp and 5 minutes).

MeasureData (HeadObject) -> ValidateWhere: ValidateData (Lambda) | FindContract -> HasStoredContract ->
ValidationJobInputs(WithContract) -> ValidateDataJob (.sync) -> ReadValidation -> UseValidation. Both routes
run `run_validation` (lambdas/validate_data/logic.py; job.py runs it in the job) and leave the same
ValidationOutput at `$.validation` and the same run folder behind. CDK has no processing-job task: a CustomState
on `createProcessingJob.sync`, whose permissions are evaluate_permissions() (the same job prefix and rule).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn

from cdk.pipeline.common import S3_TRANSIENT, SAGEMAKER_OPTIMIZED_TRANSIENT
from cdk.pipeline.context import PipelineContext
from cdk.pipeline.instances import check_instance_type
from cdk.pipeline.results import EXECUTION, RUN_ID, VALIDATION
from cdk.shared.processing_job import ProcessingJob, processing_state, s3_input, s3_output
from slipstream import job_arguments as mounts
from slipstream.job_commands import VALIDATION_ENTRYPOINT
from slipstream.layout import CONTRACT_KEY, CONTRACT_PREFIX, VALIDATION_OUTPUT, run_key
from slipstream.stage_config import StageConfig

JSON = sfn.JsonPath
DATA_BUCKET, DATA_KEY = EXECUTION.field("data", "bucket"), EXECUTION.field("data", "key")


def validate_data(ctx: PipelineContext, on_lambda: sfn.TaskStateBase) -> sfn.Chain:
    """`on_lambda` is the Lambda route's state (training.validate_data); the chain ends where both routes meet."""
    size = _s3_call(
        ctx,
        "MeasureData",
        "headObject",
        {"Bucket": JSON.string_at(DATA_BUCKET), "Key": JSON.string_at(DATA_KEY)},
        {"bytes": JSON.number_at("$.ContentLength")},
        "$.data_size",
    )
    where = sfn.Choice(ctx.scope, "ValidateWhere")
    threshold = ctx.settings.stage.validation_processing_threshold_bytes
    where.when(sfn.Condition.number_greater_than("$.data_size.bytes", threshold), _job_route(ctx))
    where.otherwise(on_lambda)
    joined = where.afterwards()
    size.next(where)
    return sfn.Chain.custom(size, joined.end_states, joined)


def _job_route(ctx: PipelineContext) -> sfn.IChainable:
    artifacts = ctx.artifact_bucket.bucket_name
    find = _s3_call(
        ctx,
        "FindContract",
        "listObjectsV2",
        {"Bucket": artifacts, "Prefix": CONTRACT_KEY, "MaxKeys": 1},
        {"count": JSON.number_at("$.KeyCount")},
        "$.contract_search",
    )
    has_contract = sfn.Choice(ctx.scope, "HasStoredContract")
    job = _job(ctx)
    has_contract.when(
        sfn.Condition.number_greater_than("$.contract_search.count", 0), _inputs(ctx, "ValidationJobWithContract", True)
    )
    has_contract.otherwise(_inputs(ctx, "ValidationJobInputs", False))
    has_contract.afterwards().next(job)
    read = _s3_call(
        ctx,
        "ReadValidation",
        "getObject",
        {"Bucket": artifacts, "Key": JSON.format(run_key("{}", VALIDATION_OUTPUT), JSON.string_at(RUN_ID))},
        {"document": JSON.string_to_json(JSON.string_at("$.Body"))},
        "$.validation_document",
    )
    # The document itself at $.validation, where the Lambda route puts its answer.
    use = sfn.Pass(ctx.scope, "UseValidation", input_path="$.validation_document.document", result_path=VALIDATION.path)
    job.next(read).next(use)
    return find.next(has_contract)


def _inputs(ctx: PipelineContext, state_id: str, with_contract: bool) -> sfn.Pass:
    """The job's inputs, built by a Pass state: the data's URI is a States.Format of the execution's input."""
    data_uri = JSON.format("s3://{}/{}", JSON.string_at(DATA_BUCKET), JSON.string_at(DATA_KEY))
    artifacts = ctx.artifact_bucket.bucket_name
    inputs = [s3_input("data", mounts.VALIDATION_DATA, uri=data_uri)]
    if with_contract:
        inputs.append(s3_input("contract", mounts.VALIDATION_CONTRACT, uri=f"s3://{artifacts}/{CONTRACT_KEY}"))
    assert ctx.validation_code_uri, "the validation job needs its code archive"
    inputs.append(s3_input("code", mounts.CODE_DIR, uri=ctx.validation_code_uri))
    return sfn.Pass(ctx.scope, state_id, result_path="$.validation_job", parameters={"inputs": inputs})


def _job(ctx: PipelineContext) -> sfn.CustomState:
    stage, stage_name, artifacts = ctx.settings.stage, ctx.settings.stage_name, ctx.artifact_bucket.bucket_name
    arguments = JSON.array(
        "--run-id",
        JSON.string_at(RUN_ID),
        "--data-bucket",
        JSON.string_at(DATA_BUCKET),
        "--data-key",
        JSON.string_at(DATA_KEY),
        "--artifact-bucket",
        artifacts,
    )
    run_folder = JSON.format(f"s3://{artifacts}/{run_key('{}', '')}", JSON.string_at(RUN_ID))
    job = ProcessingJob(
        name={"ProcessingJobName.$": ctx.name_of("-validate")},
        role_arn=_job_role(ctx).role_arn,
        image_uri=ctx.image_uri,
        entrypoint=VALIDATION_ENTRYPOINT,
        arguments={"ContainerArguments.$": arguments},
        inputs={"ProcessingInputs.$": "$.validation_job.inputs"},
        outputs=[
            s3_output("run", mounts.VALIDATION_RUN_OUTPUT, uri_path=run_folder),
            s3_output("contract", mounts.VALIDATION_CONTRACT_OUTPUT, uri=f"s3://{artifacts}/{CONTRACT_PREFIX}"),
        ],
        # run_validation reads the whole file in one process: one instance.
        instance_type=check_instance_type(
            stage_name, "validation_instance_type", stage.validation_instance_type, "ProcessingInstanceType"
        ),
        key_arn=ctx.key.key_arn,
        volume_gb=stage.validation_volume_gb,
    )
    state = processing_state(
        ctx.scope,
        "ValidateDataJob",
        job,
        result_selector={"job_name.$": "$.ProcessingJobName", "status.$": "$.ProcessingJobStatus"},
        result_path="$.validation_job_result",
    )
    ctx.guard(state, SAGEMAKER_OPTIMIZED_TRANSIENT)
    return state


def _s3_call(
    ctx: PipelineContext, state_id: str, action: str, parameters: dict, selector: dict, result_path: str
) -> sfn.CustomState:
    """An AWS SDK S3 call as a CustomState: CallAwsService would grant `s3:<action>` (not an IAM action for
    headObject) without the prefix condition ListBucket needs; validation_permissions() grants exactly."""
    state = sfn.CustomState(
        ctx.scope,
        state_id,
        state_json={
            "Type": "Task",
            "Resource": f"arn:{Stack.of(ctx.scope).partition}:states:::aws-sdk:s3:{action}",
            "Parameters": sfn.FieldUtils.render_object(parameters),
            "ResultSelector": sfn.FieldUtils.render_object(selector),
            "ResultPath": result_path,
        },
    )
    ctx.guard(state, S3_TRANSIENT)
    return state


def validation_permissions(ctx: PipelineContext, data_bucket: s3.IBucket, key: kms.IKey) -> list[iam.PolicyStatement]:
    """The state machine's S3 calls and the hand-over of the job's role (the job's Create/Describe/Stop are
    evaluate_permissions(): same prefix and rule)."""
    prefix, artifacts = ctx.settings.stage.data_prefix, ctx.artifact_bucket
    return [
        # HeadObject is authorized by s3:GetObject.
        iam.PolicyStatement(actions=["s3:GetObject"], resources=[data_bucket.arn_for_objects(f"{prefix}*")]),
        iam.PolicyStatement(
            actions=["s3:ListBucket"],
            resources=[artifacts.bucket_arn],
            conditions={"StringEquals": {"s3:prefix": CONTRACT_KEY}},
        ),
        iam.PolicyStatement(
            actions=["s3:GetObject"], resources=[artifacts.arn_for_objects(run_key("*", VALIDATION_OUTPUT))]
        ),
        iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn]),
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[_job_role(ctx).role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
    ]


def _job_role(ctx: PipelineContext) -> iam.IRole:
    assert ctx.validation_role, "the validation job needs its role (validation_role.py)"
    return ctx.validation_role


def validation_acknowledgements(stage: StageConfig, data_ref: str, artifact_ref: str) -> dict[str, str]:
    """cdk-nag reasons for the state machine role's wildcards above (the job's role: validation_role.py)."""
    return {
        f"{data_ref}/{stage.data_prefix}*": "ValidateData reads whichever object under the data prefix started "
        "the run (HeadObject to pick the route); keys are known only at run time.",
        f"{artifact_ref}/{run_key('*', VALIDATION_OUTPUT)}": "ReadValidation reads the processing job's answer "
        "in runs/<run id>/ (GetObject only); run ids exist only at run time.",
    }
