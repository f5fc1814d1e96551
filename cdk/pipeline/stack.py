"""Pipeline: the Step Functions training pipeline, its Lambdas, the SageMaker roles and the two triggers."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.pipeline.approval import ApprovalFunctions
from cdk.pipeline.canary_functions import CanaryFunctions
from cdk.pipeline.common import Guard
from cdk.pipeline.context import PipelineContext
from cdk.pipeline.definition import build_definition, failure_path
from cdk.pipeline.evaluate import evaluate_permissions
from cdk.pipeline.functions import PipelineFunctions
from cdk.pipeline.promotion import promotion_reasons, source_read_statements, source_settings
from cdk.pipeline.sagemaker_role import SageMakerExecutionRole
from cdk.pipeline.sklearn_image import sklearn_image_uri
from cdk.pipeline.sourcedir import SourceDir
from cdk.pipeline.training import train_permissions
from cdk.pipeline.tuning import acknowledge_tuning, tuning_permissions
from cdk.pipeline.validation import validation_acknowledgements, validation_permissions
from cdk.pipeline.validation_code import ValidationCode
from cdk.pipeline.validation_role import ValidationJobRole
from cdk.shared.alarm_names import retrain_alarm_names
from cdk.shared.front_door import FrontDoorExports
from cdk.shared.lambda_function import retention
from cdk.shared.nag import acknowledge_grants
from cdk.shared.promotion_grants import package_group_policy
from cdk.shared.settings import DeploySettings
from cdk.shared.storage_stack import StorageExports
from slipstream.layout import DEPLOYMENT_KEY, MODELS_PREFIX, RUNS_PREFIX
from slipstream.promotion_config import trains


class PipelineStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        storage: StorageExports,
        topic: sns.ITopic,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data_bucket, artifact_bucket, key = storage.import_into(self)
        stage = settings.stage
        sourcedir: s3_assets.Asset = SourceDir(self, "SourceDir").asset
        validation_code = ValidationCode(self, "ValidationCode", settings=settings).asset
        sagemaker_role = SageMakerExecutionRole(
            self,
            "SageMakerRole",
            artifact_bucket=artifact_bucket,
            runs_prefix=RUNS_PREFIX,
            models_prefix=MODELS_PREFIX,
            key=key,
            sourcedir=sourcedir,
            artifact_ref=storage.name("artifact-bucket-arn"),
        ).role
        validation_role = ValidationJobRole(
            self,
            "ValidationJobRole",
            stage=stage,
            data_bucket=data_bucket,
            artifact_bucket=artifact_bucket,
            runs_prefix=RUNS_PREFIX,
            key=key,
            code=validation_code,
            data_ref=storage.name("data-bucket-arn"),
            artifact_ref=storage.name("artifact-bucket-arn"),
        ).role
        functions = PipelineFunctions(
            self,
            "Functions",
            settings=settings,
            data_bucket=data_bucket,
            artifact_bucket=artifact_bucket,
            runs_prefix=RUNS_PREFIX,
            deployment_key=DEPLOYMENT_KEY,
            data_ref=storage.name("data-bucket-arn"),
            artifact_ref=storage.name("artifact-bucket-arn"),
            front_door=FrontDoorExports(settings.prefix),
        )
        group = sagemaker.CfnModelPackageGroup(
            self,
            "ModelPackageGroup",
            model_package_group_name=settings.model_package_group,
            model_package_group_description=f"Slipstream {settings.config.name} models ({settings.stage_name})",
        )
        group.model_package_group_policy = package_group_policy(self, settings)  # stages promoting from this one
        group.apply_removal_policy(RemovalPolicy.RETAIN if stage.retain_data else RemovalPolicy.DESTROY)
        canary = None
        if settings.config.gate.promote == "canary":
            canary = CanaryFunctions(
                self, "Canary", settings=settings, artifact_bucket=artifact_bucket, deployment_key=DEPLOYMENT_KEY
            )
        approval = None
        if stage.approval == "manual":  # WaitForApproval and the approvals API (cdk/pipeline/approval.py)
            approval = ApprovalFunctions(
                self,
                "Approval",
                settings=settings,
                artifact_bucket=artifact_bucket,
                topic=topic,
                artifact_ref=storage.name("artifact-bucket-arn"),
            )
        # The tasks get an immutable view of the role: CDK's SageMaker tasks would otherwise add s3:GetObject/
        # PutObject on "*" for JSONPath S3 locations. SageMakerExecutionRole already grants exactly runs/.
        ctx = PipelineContext(
            scope=self,
            settings=settings,
            topic=topic,
            artifact_bucket=artifact_bucket,
            key=key,
            sagemaker_role=sagemaker_role.without_policy_updates(),
            validation_role=validation_role.without_policy_updates(),
            image_uri=sklearn_image_uri(self),
            sourcedir_uri=sourcedir.s3_object_url,
            validation_code_uri=validation_code.s3_object_url,
            validate_fn=functions.validate.function,
            gate_fn=functions.gate.function,
            smoke_fn=functions.smoke.function,
            record_fn=functions.record.function,
            guard=Guard(on_failure=failure_path(self, settings, topic)),  # NotifyFailure -> Fail, built first
            canary=canary,
            approval_fn=approval.request.function if approval else None,
            mlflow_fn=functions.mlflow.function if functions.mlflow else None,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "TrainingPipeline",
            state_machine_name=settings.state_machine_name,
            definition_body=sfn.DefinitionBody.from_chainable(build_definition(ctx)),
            # A manual stage also waits for its approver, up to approval_timeout_hours.
            timeout=_execution_timeout(settings),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=logs.LogGroup(
                    self,
                    "PipelineLogs",
                    retention=retention(stage.log_retention_days),
                    removal_policy=RemovalPolicy.DESTROY,
                ),
                level=sfn.LogLevel.ALL,
                include_execution_data=True,
            ),
        )
        self.state_machine.node.add_dependency(group)
        for statement in [
            *train_permissions(ctx),
            *evaluate_permissions(ctx),
            *validation_permissions(ctx, data_bucket, key),
            *tuning_permissions(ctx),
        ]:
            self.state_machine.add_to_role_policy(statement)
        acknowledged = validation_acknowledgements(
            stage, storage.name("data-bucket-arn"), storage.name("artifact-bucket-arn")
        )
        acknowledge_grants(self.state_machine.role, acknowledged)
        acknowledge_tuning(ctx, self.state_machine.role)
        # SnsPublish grants sns:Publish only, but SNS encrypts each message with the topic's key as the publisher.
        if topic.master_key is not None:
            topic.master_key.grant(self.state_machine, "kms:Decrypt", "kms:GenerateDataKey*")
        smoked = [settings.endpoint_name, *([canary.endpoint] if canary else [])]  # a canary is smoke-tested too
        if settings.config.gate.promote == "challenger":  # cdk/pipeline/challenger.py
            assert settings.challenger_endpoint_name
            smoked.append(settings.challenger_endpoint_name)
            # CheckExperiment and RecordChallenger read the record: is a challenger running, which champion stays.
            artifact_bucket.grant_read(functions.record.role, DEPLOYMENT_KEY)
        functions.smoke.role.add_to_policy(
            iam.PolicyStatement(
                actions=["sagemaker:InvokeEndpoint"], resources=[ctx.arn("endpoint", name) for name in smoked]
            )
        )
        if canary:  # RecordCanary keeps the champion the current record names
            artifact_bucket.grant_read(functions.record.role, DEPLOYMENT_KEY)
        functions.record.role.add_to_policy(
            iam.PolicyStatement(
                actions=["sagemaker:DescribeModelPackage"],
                resources=[ctx.arn("model-package", f"{settings.model_package_group}/*")],
            )
        )
        if trains(settings.stage_name, stage):  # a stage that only promotes gets no new-data or alarm trigger
            self._triggers(settings, functions.start.function, data_bucket)
            self._retrain_on_alarms(settings, functions.start.function)
        self.state_machine.grant_start_execution(functions.start.function)
        source = source_settings(settings)
        if source is not None:
            for statement in source_read_statements(ctx, source):
                self.state_machine.add_to_role_policy(statement)
            acknowledge_grants(self.state_machine.role, promotion_reasons(source))
        functions.set_state_machine(self.state_machine.state_machine_arn)
        self._acknowledge(settings, functions, storage.name("artifact-bucket-arn"), canary, approval)
        CfnOutput(self, "StateMachineArn", value=self.state_machine.state_machine_arn)
        CfnOutput(self, "EndpointName", value=settings.endpoint_name)

    def _acknowledge(
        self,
        settings: DeploySettings,
        functions: PipelineFunctions,
        artifact_ref: str,
        canary: CanaryFunctions | None,
        approval: ApprovalFunctions | None = None,
    ) -> None:
        sagemaker_arn = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
        jobs, group = settings.job_prefix.lower(), settings.model_package_group.lower()
        per_run = "names carry the run id, known only at run time"
        reasons = {
            f"{sagemaker_arn}:training-job/*": "CDK's SageMakerCreateTrainingJob task grants on training-job/* "
            f"(the name is a runtime JSONPath); {per_run}.",
            f"{sagemaker_arn}:model/*": f"CDK's SageMakerCreateModel task grants on model/* (runtime name); {per_run}.",
            f"{sagemaker_arn}:processing-job/{jobs}-*": f"This stage's processing jobs only; {per_run}.",
            f"{sagemaker_arn}:endpoint-config/{jobs}-*": f"This stage's endpoint configs only; {per_run}.",
            f"{sagemaker_arn}:model-package/{group}/*": "Versions of this stage's model package group only; "
            "SageMaker numbers them.",
            f"{artifact_ref}/{RUNS_PREFIX}*": "RetainModel/RetainBaseline read the source of their copy from "
            f"runs/<run id>/ (GetObject only); {per_run}.",
            f"{artifact_ref}/{MODELS_PREFIX}*": "RetainModel/RetainBaseline write the copy to models/<run id>/ "
            f"(PutObject only); {per_run}.",
            "*": "No resource-level permissions exist for ListModelPackages, ListEndpoints, ListTags (CDK SageMaker "
            "tasks), X-Ray tracing and the log-delivery calls behind state machine logging.",
        }
        invoked = [functions.validate, functions.gate, functions.smoke, functions.record]
        if approval:
            invoked.append(approval.request)
        invoked += [functions.mlflow] if functions.mlflow else []
        for fn in [*invoked, *([canary.check, canary.record] if canary else [])]:
            logical = self.get_logical_id(fn.function.node.default_child)  # type: ignore[arg-type]
            reasons[f"<{logical}.Arn>:*"] = "CDK LambdaInvoke grants the function and its versions/aliases."
        acknowledge_grants(self.state_machine.role, reasons)
        package = f"{sagemaker_arn}:model-package/{group}/*"
        acknowledge_grants(functions.record.role, {package: reasons[package]})

    def _triggers(self, settings: DeploySettings, start: lambda_.IFunction, data_bucket: s3.IBucket) -> None:
        """New data under the data prefix, and the retraining schedule, both go through StartPipeline."""
        target = targets.LambdaFunction(start, retry_attempts=2, max_event_age=Duration.hours(1))
        events.Rule(
            self,
            "NewDataRule",
            description="New training data landed: start a pipeline run",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [data_bucket.bucket_name]},
                    "object": {"key": [{"prefix": settings.stage.data_prefix}]},
                },
            ),
            targets=[target],
        )
        if settings.stage.retrain_schedule:
            events.Rule(
                self,
                "RetrainSchedule",
                description="Scheduled retraining on the newest data",
                schedule=events.Schedule.expression(settings.stage.retrain_schedule),
                targets=[target],
            )

    def _retrain_on_alarms(self, settings: DeploySettings, start: lambda_.Function) -> None:
        """`[retraining] on`: those champion alarms going to ALARM ask StartPipeline for a run; it starts one only
        on data not trained on yet and outside the cooldown, which it checks by listing this machine's runs."""
        names = retrain_alarm_names(settings)
        if not names:
            return
        start.add_environment("RETRAIN_COOLDOWN_HOURS", str(settings.config.retraining.cooldown_hours))
        start.add_to_role_policy(
            iam.PolicyStatement(actions=["states:ListExecutions"], resources=[self.state_machine.state_machine_arn])
        )
        events.Rule(
            self,
            "RetrainOnAlarm",
            description="A drift or quality alarm fired: retrain when there is new data and no recent run",
            event_pattern=events.EventPattern(
                source=["aws.cloudwatch"],
                detail_type=["CloudWatch Alarm State Change"],
                detail={"alarmName": names, "state": {"value": ["ALARM"]}},
            ),
            targets=[targets.LambdaFunction(start, retry_attempts=2, max_event_age=Duration.hours(1))],
        )


def _execution_timeout(settings: DeploySettings) -> Duration:
    if settings.stage.approval != "manual":
        return Duration.hours(6)
    return Duration.seconds(6 * 3600 + settings.stage.approval_timeout_seconds)
