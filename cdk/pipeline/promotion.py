"""The promotion entry: deploy a package another stage trained and approved (`slipstream promote`), through the
same deployment chain as a trained model (definition.after_register), with this stage's smoke test and rollback.

DescribeSourcePackage -> SourceApproved? -> PromotionPaths -> copy the archive, baseline, contract, evaluation and
validation report into this stage's bucket (same bytes) -> RecheckGate (this stage's gate on the source's
evaluation) -> RegisterPromoted (the source's metadata, plus promoted_from) -> the deployment chain.
The source stage grants what these states read (cdk/pipeline/promotion_grants.py).
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from cdk.pipeline.common import S3_TRANSIENT
from cdk.pipeline.context import PipelineContext, sagemaker_call
from cdk.pipeline.deploy import CARD_STATUS, package_documents
from cdk.pipeline.results import GATE, PROMOTION, RUN_ID
from cdk.pipeline.results import VALIDATION as VALIDATION_RESULT
from cdk.shared.settings import DeploySettings
from slipstream import lineage
from slipstream.documents.gate import GateRequest
from slipstream.layout import (
    BASELINE,
    CONTRACT,
    CONTRACT_KEY,
    EVALUATION,
    MODEL_ARCHIVE,
    MODELS_PREFIX,
    RUN_ID_SLOT,
    RUNS_PREFIX,
    VALIDATION,
    retained_key,
    run_key,
)
from slipstream.promotion_config import source_stage

JSON = sfn.JsonPath
SOURCE_RUN = "$.source.run_id"  # the run that trained the package, in the source stage
# The source package's lineage facts DescribeSourcePackage keeps (slipstream/lineage.py names them; the dots in
# the names need JSONPath's bracket notation).
SOURCE_FACTS = {
    "run_id": lineage.RUN_ID,
    "data": lineage.DATA_SOURCE,
    "data_sha256": lineage.DATA_SHA256,
    "git_commit": lineage.GIT_COMMIT,
    "config_sha256": lineage.CONFIG_SHA256,
    "training_job": lineage.TRAINING_JOB,
}
# What is copied, source key -> this stage's key (templates with the run id's slot): the package's archive and
# drift baseline (retained under models/), and the run documents the smoke test and the record read.
COPIES = {
    "CopyModel": (retained_key(RUN_ID_SLOT, MODEL_ARCHIVE), retained_key(RUN_ID_SLOT, MODEL_ARCHIVE)),
    "CopyBaseline": (retained_key(RUN_ID_SLOT, BASELINE), retained_key(RUN_ID_SLOT, BASELINE)),
    "CopyRunBaseline": (retained_key(RUN_ID_SLOT, BASELINE), run_key(RUN_ID_SLOT, BASELINE)),
    "CopyContract": (run_key(RUN_ID_SLOT, CONTRACT), run_key(RUN_ID_SLOT, CONTRACT)),
    "CopyEvaluation": (run_key(RUN_ID_SLOT, EVALUATION), run_key(RUN_ID_SLOT, EVALUATION)),
    "CopyReport": (run_key(RUN_ID_SLOT, VALIDATION), run_key(RUN_ID_SLOT, VALIDATION)),
    # The stage's stored contract, which its predict function validates requests against (and its own runs,
    # with retrain = true, check new data against): the served model's. A stage that only promotes has no other.
    "CopyStageContract": (run_key(RUN_ID_SLOT, CONTRACT), CONTRACT_KEY),
}
# The source objects a promotion reads, as S3 ARN key patterns (the source grants them, the target asks for them).
SOURCE_KEYS = sorted({source.replace(RUN_ID_SLOT, "*") for source, _ in COPIES.values()})


def source_settings(settings: DeploySettings) -> DeploySettings | None:
    """The settings of the stage this one promotes from, or None when it has no source."""
    name = source_stage(settings.stage_name, settings.stage)
    if name is None:
        return None
    return DeploySettings(config=settings.config, stage_name=name, stage=settings.config.stage(name))


def source_account(source: DeploySettings) -> str:
    return source.stage.account or Aws.ACCOUNT_ID


def promotion_path(ctx: PipelineContext, source: DeploySettings, register_then: sfn.IChainable) -> sfn.IChainable:
    """From the execution input (a PromotionRequest) to the deployment chain `register_then`."""
    group = source.model_package_group
    describe = sagemaker_call(
        ctx,
        "DescribeSourcePackage",
        "describeModelPackage",
        {"ModelPackageName": JSON.string_at(PROMOTION.field("model_package_arn"))},
        [_source_arn(ctx, source, "model-package", f"{group}/*")],
        result_selector={
            "arn": JSON.string_at("$.ModelPackageArn"),
            "group": JSON.string_at("$.ModelPackageGroupName"),
            "status": JSON.string_at("$.ModelApprovalStatus"),
            "model_data_url": JSON.string_at("$.InferenceSpecification.Containers[0].ModelDataUrl"),
            "metadata": JSON.object_at("$.CustomerMetadataProperties"),
            **{k: JSON.string_at(f"$.CustomerMetadataProperties['{name}']") for k, name in SOURCE_FACTS.items()},
        },
        result_path="$.source",
    )
    archive = retained_key(RUN_ID_SLOT, MODEL_ARCHIVE)
    paths = sfn.Pass(
        ctx.scope,
        "PromotionPaths",
        result_path="$.promotion",
        parameters={
            # The archive the package names must be the one copied: the source bucket's models/<source run>/.
            "model_data_url": JSON.format(
                f"s3://{{}}/{archive}", JSON.string_at(PROMOTION.field("source_bucket")), JSON.string_at(SOURCE_RUN)
            ),
            # promoted_from names the source package; its stage and version go to the deployment record, which
            # GET /model shows (no ARN there: an ARN names the account).
            "metadata": {
                "promoted_from": JSON.string_at(PROMOTION.field("model_package_arn")),
                "promoted_from_stage": source.stage_name,
                "promoted_from_version": JSON.array_get_item(
                    JSON.string_split(JSON.string_at(PROMOTION.field("model_package_arn")), "/"), 2
                ),
            },
        },
    )
    approved = sfn.Choice(ctx.scope, "SourceApproved")
    approved.when(
        sfn.Condition.and_(
            sfn.Condition.string_equals("$.source.status", "Approved"),
            sfn.Condition.string_equals("$.source.group", group),
            sfn.Condition.string_equals_json_path("$.source.model_data_url", "$.promotion.model_data_url"),
        ),
        sfn.Chain.start(_copies(ctx)).next(_recheck_gate(ctx, register_then)),
    )
    approved.otherwise(_refused(ctx, group))
    return describe.next(paths).next(approved)


def _refused(ctx: PipelineContext, group: str) -> sfn.IChainable:
    return sfn.Pass(
        ctx.scope,
        "SourceNotApproved",
        result_path="$.error",
        parameters={
            "Error": "SourceNotApproved",
            "Cause": JSON.format(
                f"model package {{}} is {{}} in group {{}} with archive {{}}: a promotion needs an Approved package "
                f"of {group} whose archive is {{}}",
                JSON.string_at("$.source.arn"),
                JSON.string_at("$.source.status"),
                JSON.string_at("$.source.group"),
                JSON.string_at("$.source.model_data_url"),
                JSON.string_at("$.promotion.model_data_url"),
            ),
        },
    ).next(ctx.guard.on_failure)


def _copies(ctx: PipelineContext) -> sfn.IChainable:
    """The source's objects into this stage's run folder and models/, then where the deployment chain reads them."""
    bucket = ctx.artifact_bucket.bucket_name
    run_id, source_bucket = JSON.string_at(RUN_ID), JSON.string_at(PROMOTION.field("source_bucket"))
    states = [
        _copy(ctx, state_id, JSON.format(f"{{}}/{source}", source_bucket, JSON.string_at(SOURCE_RUN)), target)
        for state_id, (source, target) in COPIES.items()
    ]

    def uri(key: str) -> str:
        return JSON.format(f"s3://{bucket}/{key}", run_id)

    located = sfn.Pass(
        ctx.scope,
        "PromotedRun",
        result_path="$.paths",
        parameters={
            "evaluation_uri": uri(run_key(RUN_ID_SLOT, EVALUATION)),
            "retained_model_uri": uri(retained_key(RUN_ID_SLOT, MODEL_ARCHIVE)),
            "retained_baseline_uri": uri(retained_key(RUN_ID_SLOT, BASELINE)),
            "data_uri": JSON.string_at("$.source.data"),  # the source run's data, as its package names it
        },
    )
    validation = sfn.Pass(
        ctx.scope,
        "PromotedValidation",
        result_path="$.validation",
        parameters={
            "contract_uri": uri(run_key(RUN_ID_SLOT, CONTRACT)),
            "baseline_uri": uri(run_key(RUN_ID_SLOT, BASELINE)),
            "report_uri": uri(run_key(RUN_ID_SLOT, VALIDATION)),
            "data_sha256": JSON.string_at("$.source.data_sha256"),
            "data_label": JSON.string_at("$.source.data"),
        },
    )
    chain = sfn.Chain.start(states[0])
    for state in [*states[1:], located, validation]:
        chain = chain.next(state)
    return chain


def _copy(ctx: PipelineContext, state_id: str, source: str, key_template: str) -> sfn.TaskStateBase:
    """s3:CopyObject from the source stage's bucket: GetObject there (its bucket policy allows this account),
    decrypt with its key through S3, PutObject here encrypted with this stage's key (the bucket default)."""
    bucket = ctx.artifact_bucket
    task = tasks.CallAwsService(
        ctx.scope,
        state_id,
        service="s3",
        action="copyObject",
        parameters={
            "Bucket": bucket.bucket_name,
            "CopySource": source,
            "Key": JSON.format(key_template, JSON.string_at(RUN_ID)) if RUN_ID_SLOT in key_template else key_template,
        },
        iam_action="s3:PutObject",
        iam_resources=[
            bucket.arn_for_objects(f"{MODELS_PREFIX}*"),
            bucket.arn_for_objects(f"{RUNS_PREFIX}*"),
            bucket.arn_for_objects(CONTRACT_KEY),
        ],
        additional_iam_statements=[
            iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[ctx.key.key_arn])
        ],
        result_path=JSON.DISCARD,
    )
    return ctx.guard(task, S3_TRANSIENT)


def source_read_statements(ctx: PipelineContext, source: DeploySettings) -> list[iam.PolicyStatement]:
    """The identity side of the source's grants: read the copied objects in the source account's artifact bucket
    (its name is CloudFormation's, known to the CLI, not here: any bucket of that account, these keys only) and
    decrypt them with its key through S3."""
    account = source_account(source)
    region = source.stage.region or Aws.REGION
    partition = Aws.PARTITION
    in_source_account = {"StringEquals": {"aws:ResourceAccount": account}}
    return [
        iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[f"arn:{partition}:s3:::*/{key}" for key in SOURCE_KEYS],
            conditions=in_source_account,
        ),
        iam.PolicyStatement(
            actions=["kms:Decrypt"],
            resources=[f"arn:{partition}:kms:{region}:{account}:key/*"],
            conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
        ),
    ]


def promotion_reasons(source: DeploySettings) -> dict[str, str]:
    """cdk-nag acknowledgements of the wildcards in the promotion's grants on the source stage's resources."""
    account = source.stage.account or "<AWS::AccountId>"
    region = source.stage.region or "<AWS::Region>"
    group = source.model_package_group.lower()
    objects = (
        "Objects a promotion copies from the source stage's artifact bucket, in any run (the package names it); "
        "the bucket's name is CloudFormation's, so any bucket of the source account (aws:ResourceAccount), "
        "and the source's bucket policy allows only these keys."
    )
    reasons = {f"arn:<AWS::Partition>:s3:::*/{key}": objects for key in SOURCE_KEYS}
    reasons[f"arn:<AWS::Partition>:sagemaker:{region}:{account}:model-package/{group}/*"] = (
        "Versions of the source stage's model package group; SageMaker numbers them."
    )
    reasons[f"arn:<AWS::Partition>:kms:{region}:{account}:key/*"] = (
        "The source stage's key decrypts the copied objects, only through S3 (kms:ViaService); its id is "
        "CloudFormation's."
    )
    return reasons


def _recheck_gate(ctx: PipelineContext, register_then: sfn.IChainable) -> sfn.IChainable:
    """This stage's gate decides again on the source's evaluation (the same bytes): the figures the deployment
    record and the notification carry, and a later stage's stricter bar (e.g. a threshold in prod) applies."""
    payload = {
        "run_id": JSON.string_at(RUN_ID),
        "evaluation_uri": JSON.string_at("$.paths.evaluation_uri"),
        # The card the promoted package carries: the source's lineage, this stage's gate decision.
        "card": {
            "data_uri": JSON.string_at("$.source.data"),
            "data_sha256": JSON.string_at("$.source.data_sha256"),
            "git_commit": JSON.string_at("$.source.git_commit"),
            "config_sha256": JSON.string_at("$.source.config_sha256"),
            "training_job": JSON.string_at("$.source.training_job"),
            "model_artifact": JSON.string_at("$.paths.retained_model_uri"),
            "contract_uri": JSON.string_at(VALIDATION_RESULT.field("contract_uri")),
        },
    }
    gate = ctx.invoke("RecheckGate", ctx.gate_fn, GateRequest, payload, GATE)
    refused = sfn.Pass(
        ctx.scope,
        "PromotionGateRefused",
        result_path="$.error",
        parameters={
            "Error": "GateRejected",
            "Cause": JSON.format(
                "the gate of this stage refuses the evaluation of the source package: {}",
                JSON.json_to_string(JSON.object_at(GATE.field("reasons"))),
            ),
        },
    ).next(ctx.guard.on_failure)
    passed = sfn.Choice(ctx.scope, "PromotionGatePassed")
    passed.when(sfn.Condition.boolean_equals(GATE.field("passed"), True), _register(ctx).next(register_then))
    passed.otherwise(refused)
    return gate.next(passed)


def _register(ctx: PipelineContext) -> sfn.TaskStateBase:
    """A package in this stage's group with the source's container, metadata (its lineage) and promoted_from."""
    group = ctx.settings.model_package_group
    arn = JSON.string_at("$.ModelPackageArn")
    return sagemaker_call(
        ctx,
        "RegisterPromoted",
        "createModelPackage",
        {
            "ModelPackageGroupName": group,
            "ModelPackageDescription": JSON.format(
                "Slipstream: promoted from {}", JSON.string_at(PROMOTION.field("model_package_arn"))
            ),
            "ModelApprovalStatus": "PendingManualApproval",
            **package_documents(ctx, "$.paths.retained_model_uri", "$.paths.retained_baseline_uri"),
            "MetadataProperties": {
                "CommitId": JSON.string_at("$.source.git_commit"),  # the code that trained it, in the source stage
                "GeneratedBy": JSON.string_at("$.source.training_job"),
                "ProjectId": ctx.settings.config.name,
            },
            "ModelCard": {
                "ModelCardContent": JSON.string_at(GATE.field("model_card")),
                "ModelCardStatus": CARD_STATUS["PendingManualApproval"],
            },
            # Copied whole: whatever lineage the source recorded travels with the model.
            "CustomerMetadataProperties": JSON.json_merge(
                JSON.object_at("$.source.metadata"), JSON.object_at("$.promotion.metadata")
            ),
        },
        [ctx.arn("model-package-group", group), ctx.arn("model-package", f"{group}/*")],
        result_selector={"arn": arn, "version": JSON.array_get_item(JSON.string_split(arn, "/"), 2)},
        result_path="$.registered",
    )


def _source_arn(ctx: PipelineContext, source: DeploySettings, resource: str, name: str) -> str:
    return ctx.scope.format_arn(
        service="sagemaker",
        resource=resource,
        resource_name=name.lower(),
        account=source_account(source),
        region=source.stage.region or Aws.REGION,
    )
