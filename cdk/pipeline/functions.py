"""The pipeline's Lambda functions, each with only the grants it needs."""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.shared.front_door import FrontDoorExports
from cdk.shared.lambda_function import SlipstreamFunction, pandas_layer
from cdk.shared.nag import acknowledge, acknowledge_grants
from cdk.shared.settings import DeploySettings
from slipstream.layout import CONTRACT_KEY, CONTRACT_PREFIX
from slipstream.tuning_job import ACTIONS as READ_TUNING_JOB

# Beyond the Lambda allowlist: drift before training (monitoring's drift test). Also the processing job's code
# (cdk/pipeline/validation_code.py), which runs the same function.
VALIDATE_MODULES = ("monitoring", "warehouse")


class PipelineFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        data_bucket: s3.IBucket,
        artifact_bucket: s3.IBucket,
        runs_prefix: str,
        deployment_key: str,
        data_ref: str,
        artifact_ref: str,
        front_door: FrontDoorExports,
    ) -> None:
        super().__init__(scope, construct_id)
        stage = settings.stage
        config_json = settings.config.lambda_json()
        defaults = settings.lambda_defaults
        pandas = pandas_layer(self, stage.pandas_layer_arn)
        runs = f"{runs_prefix}*"
        self.validate = SlipstreamFunction(
            self,
            "ValidateData",
            name="validate_data",
            description="ValidateData: contract, baseline, split",
            slipstream_modules=VALIDATE_MODULES,
            environment={"SLIPSTREAM_CONFIG": config_json, "ARTIFACT_BUCKET": artifact_bucket.bucket_name},
            extra_layers=[pandas],
            memory_mb=2048,
            timeout_seconds=300,
            defaults=defaults,
        )
        data_bucket.grant_read(self.validate.role, f"{stage.data_prefix}*")
        artifact_bucket.grant_read(self.validate.role, f"{CONTRACT_PREFIX}*")
        artifact_bucket.grant_put(self.validate.role, f"{CONTRACT_PREFIX}*")
        artifact_bucket.grant_put(self.validate.role, runs)

        self.gate = SlipstreamFunction(
            self,
            "QualityGate",
            name="quality_gate",
            description="QualityGate: may the challenger replace the champion",
            environment={"SLIPSTREAM_CONFIG": config_json},
            slipstream_modules=("lineage.py", "package_card.py", "tuning_card.py", "tuning_job.py"),  # the model card
            defaults=defaults,
        )
        artifact_bucket.grant_read(self.gate.role, runs)
        _reads_tuning_jobs(self.gate, settings)

        self.smoke = SlipstreamFunction(
            self,
            "SmokeTest",
            name="smoke_test",
            description="SmokeTest: the prediction API answers the contract with the new model",
            environment={"SLIPSTREAM_CONFIG": config_json, **_front_door_environment(settings, front_door)},
            extra_layers=[pandas],
            memory_mb=512,
            defaults=defaults,
        )
        artifact_bucket.grant_read(self.smoke.role, runs)
        self.smoke.role.add_to_policy(_front_door_grant(settings, front_door))

        self.record = SlipstreamFunction(
            self,
            "RecordDeployment",
            name="record_deployment",
            description="RecordDeployment: the deployment record the predict and drift Lambdas read",
            environment={
                "SLIPSTREAM_CONFIG": config_json,
                "DEPLOYMENT_URI": artifact_bucket.s3_url_for_object(deployment_key),
            },
            slipstream_modules=("model_card.py",),
            defaults=defaults,
        )
        artifact_bucket.grant_read(self.record.role, runs)
        artifact_bucket.grant_put(self.record.role, deployment_key)

        self.mlflow = _mlflow_function(self, settings, config_json) if stage.mlflow_tracking_uri else None

        self.start = SlipstreamFunction(
            self,
            "StartPipeline",
            name="start_pipeline",
            description="Start one pipeline run per new dataset",
            environment={"DATA_BUCKET": data_bucket.bucket_name, "DATA_PREFIX": stage.data_prefix},
            defaults=defaults,
        )
        data_bucket.grant_read(self.start.role, f"{stage.data_prefix}*")
        self._acknowledge(data_ref, artifact_ref, runs, stage.data_prefix)

    def set_state_machine(self, arn: str) -> None:
        self.start.function.add_environment("STATE_MACHINE_ARN", arn)

    def _acknowledge(self, data_ref: str, artifact_ref: str, runs: str, data_prefix: str) -> None:
        run_files = "run ids exist only at run time, so the grant covers runs/<run id>/..."
        reasons = {
            f"{artifact_ref}/{runs}": f"Reads/writes this run's files; {run_files}",
            f"{artifact_ref}/{CONTRACT_PREFIX}*": f"The stored data contract ({CONTRACT_KEY}) and its versions.",
            f"{data_ref}/{data_prefix}*": "New training data arrives under this prefix with any file name.",
        }
        for fn in (self.validate, self.gate, self.smoke, self.record, self.start):
            acknowledge_grants(fn.role, reasons)
            acknowledge(
                fn.function,
                "AwsSolutions-L1",
                "Python 3.11 on purpose: the project's Python version "
                "(pyproject requires-python) and the Powertools/pandas layers' build.",
            )


def _front_door_environment(settings: DeploySettings, front_door: FrontDoorExports) -> dict[str, str]:
    auth = settings.stage.api_auth
    key = {"API_KEY_ID": front_door.api_key_id} if auth == "api_key" else {}
    return {"API_URL": front_door.url, "API_AUTH": auth, **key}


def _front_door_grant(settings: DeploySettings, front_door: FrontDoorExports) -> iam.PolicyStatement:
    """The smoke test calls the API as a caller: with the stage's API key (read that key alone) or signed
    (invoke POST /predict alone)."""
    if settings.stage.api_auth == "api_key":
        key = f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}::/apikeys/{front_door.api_key_id}"
        return iam.PolicyStatement(actions=["apigateway:GET"], resources=[key])
    method = (
        f"arn:{Aws.PARTITION}:execute-api:{Aws.REGION}:{Aws.ACCOUNT_ID}:{front_door.api_id}/"
        f"{settings.stage_name}/POST/predict"
    )
    return iam.PolicyStatement(actions=["execute-api:Invoke"], resources=[method])


def _mlflow_function(scope: Construct, settings: DeploySettings, config_json: str) -> SlipstreamFunction:
    """MLflow on AWS (docs/lineage.md#mlflow-on-aws): the registered package as an MLflow model version. It may
    mark its package `mlflow: failed`; with a SageMaker managed tracking server, it calls it with its own role."""
    uri = settings.stage.mlflow_tracking_uri or ""
    function = SlipstreamFunction(
        scope,
        "MlflowRegistry",
        name="mlflow_registry",
        description="MLflow on AWS: each registered package as an MLflow model version, champion alias",
        environment={"SLIPSTREAM_CONFIG": config_json, "MLFLOW_TRACKING_URI": uri},
        slipstream_modules=("lineage.py", "tuning_job.py"),
        timeout_seconds=120,  # 3 attempts of a few calls, 10 s each at most, and the pauses between
        defaults=settings.lambda_defaults,
    )
    _reads_tuning_jobs(function, settings)
    group = settings.model_package_group
    package = Stack.of(scope).format_arn(service="sagemaker", resource="model-package", resource_name=f"{group}/*")
    function.role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:UpdateModelPackage"], resources=[package]))
    if uri.startswith("arn:"):
        # The managed server's own actions (sagemaker-mlflow:CreateRegisteredModel, ...), on that server only.
        function.role.add_to_policy(iam.PolicyStatement(actions=["sagemaker-mlflow:*"], resources=[uri]))
        acknowledge(function.role, "AwsSolutions-IAM5[Action::sagemaker-mlflow:*]", "Registry calls, one server.")
    reason = "Marks this stage's packages `mlflow: failed`; versions exist only at run time."
    finding = f"arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:model-package/{group}/*"
    acknowledge(function.role, f"AwsSolutions-IAM5[Resource::{finding}]", reason)
    acknowledge(
        function.function, "AwsSolutions-L1", "Python 3.11 on purpose: the project's Python version and layers."
    )
    return function


def _reads_tuning_jobs(function: SlipstreamFunction, settings: DeploySettings) -> None:
    """With [tuning]: the tuning job's record of its trials (slipstream/tuning_job.py), read-only."""
    if settings.config.tuning is None:
        return
    jobs = Stack.of(function).format_arn(service="sagemaker", resource="hyper-parameter-tuning-job", resource_name="*")
    function.role.add_to_policy(iam.PolicyStatement(actions=list(READ_TUNING_JOB), resources=[jobs]))
    finding = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:hyper-parameter-tuning-job/*"
    reason = "Reads the run's tuning job, whose name is an MD5 hash (32 characters at most): no prefix narrows it."
    acknowledge(function.role, f"AwsSolutions-IAM5[Resource::{finding}]", reason)
