"""RetainModel -> Register -> Deploy (serverless endpoint) -> wait for InService -> SmokeTest. What follows the
smoke test's verdict (approve and record, or reject and roll back) is in outcome.py."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from cdk.pipeline.common import S3_TRANSIENT, SAGEMAKER_OPTIMIZED_TRANSIENT
from cdk.pipeline.context import PipelineContext, sagemaker_call
from cdk.pipeline.results import GATE, RUN_ID, SMOKE, VALIDATION
from slipstream.documents.smoke import SmokeRequest
from slipstream.layout import (
    BASELINE,
    MODEL_ARCHIVE,
    MODELS_PREFIX,
    RUN_ID_SLOT,
    RUNS_PREFIX,
    model_archive,
    retained_key,
    run_key,
)
from slipstream.lineage import lineage_facts

JSON = sfn.JsonPath
# The archive a deployable package names, and CreateModel deploys: the retained copy (RetainModel).
REGISTERED_MODEL_URI = "$.paths.retained_model_uri"


def retain_model(ctx: PipelineContext, ids: tuple[str, str] = ("RetainModel", "RetainBaseline")) -> sfn.Chain:
    """Copy the model archive and the drift baseline of a model that passed the gate from runs/<run id>/ (which
    expires) to models/<run id>/ (kept while current): the package, hence CreateModel, names the copy, because a
    serverless endpoint downloads ModelDataUrl again at every cold start, a rollback restarts an old config,
    and drift and the next run's champion evaluation read them long after the run.

    SageMaker writes the archive to `<OutputDataConfig.S3OutputPath>/<TrainingJobName>/output/model.tar.gz`.
    No SSE parameters: a copy without them is encrypted with the bucket's default (SSE-KMS, the project key,
    bucket key on), the same as every other object there.
    """
    bucket = ctx.artifact_bucket.bucket_name
    run_id = JSON.string_at(RUN_ID)
    archive = run_key(RUN_ID_SLOT, model_archive(RUN_ID_SLOT))  # the run id, then the training job's name
    source = JSON.format(f"{bucket}/{archive}", run_id, JSON.string_at("$.training.job_name"))
    model = _copy(ctx, ids[0], source, JSON.format(retained_key(RUN_ID_SLOT, MODEL_ARCHIVE), run_id))
    baseline = _copy(
        ctx,
        ids[1],
        JSON.format(f"{bucket}/{run_key(RUN_ID_SLOT, BASELINE)}", run_id),
        JSON.format(retained_key(RUN_ID_SLOT, BASELINE), run_id),
    )
    return model.next(baseline)


def _copy(ctx: PipelineContext, state_id: str, source: str, key: str) -> sfn.TaskStateBase:
    """s3:CopyObject within the artifact bucket, runs/* -> models/*: IAM has no CopyObject action, the copy is
    GetObject on the source and PutObject on the target (plus the data key, to decrypt and re-encrypt)."""
    bucket = ctx.artifact_bucket
    task = tasks.CallAwsService(
        ctx.scope,
        state_id,
        service="s3",
        action="copyObject",
        parameters={"Bucket": bucket.bucket_name, "CopySource": source, "Key": key},
        iam_action="s3:PutObject",
        iam_resources=[bucket.arn_for_objects(f"{MODELS_PREFIX}*")],
        additional_iam_statements=[
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{RUNS_PREFIX}*")]),
            iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[ctx.key.key_arn]),
        ],
        result_path=JSON.DISCARD,
    )
    return ctx.guard(task, S3_TRANSIENT)


# The package's model card status (ModelPackageModelCard.ModelCardStatus) for each approval status it is created
# or updated with: ApproveModel approves both (outcome.py set_model_status).
CARD_STATUS = {"Rejected": "Draft", "PendingManualApproval": "PendingReview", "Approved": "Approved"}


def register(
    ctx: PipelineContext, state_id: str, status: str, *, passed: bool | None = None, metadata: dict | None = None
) -> sfn.TaskStateBase:
    """A model package with the evaluation as its model-quality metrics (ADR 0004: every evaluated model), its
    lineage (docs/lineage.md) and the model card the QualityGate Lambda wrote.

    `PendingManualApproval` until the smoke test passes, or `Rejected` at once when the gate said no. The
    version SageMaker gave it (the number ending the ARN) goes to `$.registered.version` for CreateModel.
    A package that may serve names the retained copy of its archive (RetainModel); a rejected one never
    serves and keeps the run's own, which expires with the run. `passed` overrides the gate's verdict the
    status implies (a refused challenger passed it), `metadata` adds CustomerMetadataProperties.
    """
    rejected = status == "Rejected"
    model_data_url = "$.training.model_data_url" if rejected else REGISTERED_MODEL_URI
    baseline_uri = "$.paths.retained_baseline_uri" if not rejected else VALIDATION.field("baseline_uri")
    gate = ("passed" if passed else "rejected") if passed is not None else None
    group = ctx.settings.model_package_group
    arn = JSON.string_at("$.ModelPackageArn")
    return sagemaker_call(
        ctx,
        state_id,
        "createModelPackage",
        {
            "ModelPackageGroupName": group,
            "ModelPackageDescription": JSON.format("Slipstream run {}", JSON.string_at(RUN_ID)),
            "ModelApprovalStatus": status,
            **package_documents(ctx, model_data_url, baseline_uri),
            "MetadataProperties": {
                "CommitId": ctx.settings.code_version,
                "GeneratedBy": JSON.string_at("$.training.job_name"),
                "ProjectId": ctx.settings.config.name,
            },
            "CustomerMetadataProperties": {
                **package_lineage(ctx, gate or ("rejected" if rejected else "passed")),
                "contract": JSON.string_at(VALIDATION.field("contract_uri")),
                **(metadata or {}),
            },
            "ModelCard": {
                "ModelCardContent": JSON.string_at(GATE.field("model_card")),
                "ModelCardStatus": CARD_STATUS[status],
            },
        },
        [ctx.arn("model-package-group", group), ctx.arn("model-package", f"{group}/*")],
        # ARN: arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>; groups have no "/".
        result_selector={"arn": arn, "version": JSON.array_get_item(JSON.string_split(arn, "/"), 2)},
        result_path="$.registered",
    )


def package_lineage(ctx: PipelineContext, gate: str) -> dict[str, str]:
    """The local registry's lineage tags (slipstream/lineage.py), as the state machine fills them in. Values in
    the characters and 256-character length SageMaker allows: the data's URI escaped by ValidateData
    (`data_label`); the gate's figures as slipstream/steps/gate.py figures_line writes them."""
    return lineage_facts(
        run_id=JSON.string_at(RUN_ID),
        data_source=JSON.string_at(VALIDATION.field("data_label")),
        data_sha256=JSON.string_at(VALIDATION.field("data_sha256")),
        git_commit=ctx.settings.code_version,
        config_sha256=ctx.settings.config_sha256,
        training_job=JSON.string_at("$.training.job_name"),
        estimator=ctx.settings.config.model.estimator or "",
        gate_decision=gate,
        gate_baseline=JSON.string_at(GATE.field("baseline_figures")),
        gate_champion=JSON.string_at(GATE.field("champion_figures")),
    )


def package_documents(ctx: PipelineContext, model_data_url: str, baseline_uri: str) -> dict[str, Any]:
    """What every package of ours carries besides its lineage: the container (image, archive, environment), the
    evaluation as its model-quality metrics, and the drift baseline. Register and RegisterPromoted share it."""
    return {
        "InferenceSpecification": {
            "Containers": [
                {
                    "Image": ctx.image_uri,
                    "ModelDataUrl": JSON.string_at(model_data_url),
                    "Environment": ctx.serving_environment(),
                }
            ],
            "SupportedContentTypes": ["application/json", "text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        "ModelMetrics": {
            "ModelQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": JSON.string_at("$.paths.evaluation_uri")}
            }
        },
        # The data profile drift is measured against (slipstream/baseline.py, not Model Monitor's format).
        "DriftCheckBaselines": {
            "ModelDataQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": JSON.string_at(baseline_uri)}
            }
        },
    }


def create_model(ctx: PipelineContext, state_id: str = "CreateModel") -> sfn.TaskStateBase:
    """The registered package's container (same image, retained archive and environment), plus
    SLIPSTREAM_MODEL_VERSION so inference.py reports which version answered.

    Not `ModelPackageName`: SageMaker deploys a versioned package only once it is Approved, and ours stays
    PendingManualApproval until its own smoke test has passed (the champion is the newest Approved package).
    """
    environment = {**ctx.serving_environment(), "SLIPSTREAM_MODEL_VERSION": JSON.string_at("$.registered.version")}
    task = tasks.SageMakerCreateModel(
        ctx.scope,
        state_id,
        model_name=ctx.name_of(),
        role=ctx.sagemaker_role,
        primary_container=tasks.ContainerDefinition(
            image=tasks.DockerImage.from_registry(ctx.image_uri),
            model_s3_location=tasks.S3Location.from_json_expression(REGISTERED_MODEL_URI),
            environment_variables=sfn.TaskInput.from_object(environment),
        ),
        result_path=JSON.DISCARD,
    )
    return ctx.guard(task, SAGEMAKER_OPTIMIZED_TRANSIENT)


def create_endpoint_config(ctx: PipelineContext, state_id: str = "CreateEndpointConfig") -> sfn.TaskStateBase:
    """CreateEndpointConfig through the SDK integration: CDK's task has no ServerlessConfig field."""
    stage = ctx.settings.stage
    return sagemaker_call(
        ctx,
        state_id,
        "createEndpointConfig",
        {
            "EndpointConfigName": ctx.name_of(),
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": ctx.name_of(),
                    "ServerlessConfig": {
                        "MemorySizeInMB": stage.serverless_memory_mb,
                        "MaxConcurrency": stage.serverless_max_concurrency,
                    },
                }
            ],
        },
        [ctx.arn("endpoint-config", f"{ctx.settings.job_prefix}-*")],
        result_path=JSON.DISCARD,
    )


def create_or_update_endpoint(
    ctx: PipelineContext, then: sfn.IChainable, *, endpoint: str | None = None, prefix: str = ""
) -> sfn.IChainable:
    """Remember the config now serving (for rollback), then point the endpoint at the new config. `endpoint`
    (default: the champion's) and the state ids' `prefix` let the challenger's deployment use the same states."""
    endpoint = endpoint or ctx.settings.endpoint_name
    endpoint_arn = ctx.arn("endpoint", endpoint)
    find = sagemaker_call(
        ctx,
        f"{prefix}FindEndpoint",
        "listEndpoints",
        {"NameContains": endpoint},
        # ListEndpoints supports no resource-level permissions.
        ["*"],
        result_selector={"names": JSON.list_at(f"$.Endpoints[?(@.EndpointName == '{endpoint}')].EndpointName")},
        result_path=f"$.{prefix.lower()}endpoint_search" if prefix else "$.endpoint_search",
    )
    describe = sagemaker_call(
        ctx,
        f"{prefix}RememberServingConfig",
        "describeEndpoint",
        {"EndpointName": endpoint},
        [endpoint_arn],
        result_selector={"config_name": JSON.string_at("$.EndpointConfigName")},
        result_path="$.previous",
    )
    config_arn = ctx.arn("endpoint-config", f"{ctx.settings.job_prefix}-*")
    update = sagemaker_call(
        ctx,
        f"{prefix}UpdateEndpoint",
        "updateEndpoint",
        {"EndpointName": endpoint, "EndpointConfigName": ctx.name_of()},
        [endpoint_arn, config_arn],
        result_path=JSON.DISCARD,
    )
    create = sagemaker_call(
        ctx,
        f"{prefix}CreateEndpoint",
        "createEndpoint",
        {"EndpointName": endpoint, "EndpointConfigName": ctx.name_of()},
        [endpoint_arn, config_arn],
        result_path=JSON.DISCARD,
    )
    exists = sfn.Choice(ctx.scope, f"{prefix}EndpointExists")
    search = f"$.{prefix.lower()}endpoint_search" if prefix else "$.endpoint_search"
    exists.when(sfn.Condition.is_present(f"{search}.names[0]"), describe.next(update))
    exists.otherwise(create)
    exists.afterwards().next(then)
    return find.next(exists)


def wait_for_endpoint(
    ctx: PipelineContext,
    ready: sfn.IChainable,
    failed: sfn.IChainable,
    *,
    names: tuple[str, str, str] = ("WaitForEndpoint", "CheckEndpoint", "EndpointReady"),
    config_path: str = "$.deploy.config_name",
    endpoint: str | None = None,
) -> sfn.IChainable:
    """Poll every 30 s until the endpoint (the champion's by default) runs the config at `config_path`. InService
    on it: go on. Failed, or InService on another config (SageMaker keeps the old config when an update fails):
    `failed`."""
    endpoint = endpoint or ctx.settings.endpoint_name
    wait_id, poll_id, check_id = names
    wait = sfn.Wait(ctx.scope, wait_id, time=sfn.WaitTime.duration(Duration.seconds(30)))
    poll = sagemaker_call(
        ctx,
        poll_id,
        "describeEndpoint",
        {"EndpointName": endpoint},
        [ctx.arn("endpoint", endpoint)],
        result_selector={
            "status": JSON.string_at("$.EndpointStatus"),
            "config_name": JSON.string_at("$.EndpointConfigName"),
        },
        result_path="$.endpoint",
    )
    ours = sfn.Condition.string_equals_json_path("$.endpoint.config_name", config_path)
    in_service = sfn.Condition.string_equals("$.endpoint.status", "InService")
    check = sfn.Choice(ctx.scope, check_id)
    check.when(sfn.Condition.and_(in_service, ours), ready)
    check.when(sfn.Condition.or_(in_service, sfn.Condition.string_equals("$.endpoint.status", "Failed")), failed)
    check.otherwise(wait)
    return wait.next(poll).next(check)


def endpoint_error(ctx: PipelineContext, state_id: str, error: str) -> sfn.Pass:
    """Puts an error in `$.error` the way a Catch does, naming the status and config the endpoint ended on."""
    return sfn.Pass(
        ctx.scope,
        state_id,
        result_path="$.error",
        parameters={
            "Error": error,
            "Cause": JSON.format(
                "endpoint status {} on config {}",
                JSON.string_at("$.endpoint.status"),
                JSON.string_at("$.endpoint.config_name"),
            ),
        },
    )


def smoke_test(ctx: PipelineContext, state_id: str = "SmokeTest", endpoint: str | None = None) -> sfn.TaskStateBase:
    """The champion's smoke test goes through the prediction API, as callers do (the API's champion is the
    endpoint just updated); another `endpoint` (a challenger) is called directly: the API routes to it only
    once its experiment is recorded. Either way the answer must come from the version just registered."""
    payload = {
        "run_id": JSON.string_at(RUN_ID),
        "endpoint_name": endpoint or ctx.settings.endpoint_name,
        "contract_uri": JSON.string_at(VALIDATION.field("contract_uri")),
        "baseline_uri": JSON.string_at(VALIDATION.field("baseline_uri")),
        "via": "endpoint" if endpoint else "api",
        "model_version": JSON.string_at("$.registered.version"),
    }
    return ctx.invoke(state_id, ctx.smoke_fn, SmokeRequest, payload, SMOKE)
