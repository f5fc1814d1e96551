"""The role SageMaker assumes for the training job, the evaluation processing job and the served model.

Scoped to what those containers touch: the run artifacts under `runs/` of the artifact bucket (read the
inputs, write the model and the evaluation), the retained models under `models/` (read only: the served model
and the champion the evaluation compares against), the sourcedir asset, the data key, and their own log groups.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from cdk.shared.nag import acknowledge_grants


class SageMakerExecutionRole(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        artifact_bucket: s3.IBucket,
        runs_prefix: str,
        models_prefix: str,
        # How cdk-nag prints the artifact bucket ARN (its export name), for the acknowledgements.
        artifact_ref: str,
        key: kms.IKey,
        sourcedir: s3_assets.Asset,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Slipstream training, evaluation and serving containers",
        )
        runs = f"{runs_prefix}*"
        artifact_bucket.grant_read(self.role, runs)
        artifact_bucket.grant_put(self.role, runs)
        models = f"{models_prefix}*"
        artifact_bucket.grant_read(self.role, models)
        grant_container_basics(self.role, key, sourcedir)
        acknowledge_grants(
            self.role,
            {
                f"{artifact_ref}/{runs}": "SageMaker reads and writes per-run folders (runs/<run id>/...); "
                "run ids exist only at run time.",
                f"{artifact_ref}/{models}": "SageMaker reads the retained model archives (models/<run id>/"
                "model.tar.gz) it serves and evaluates against; run ids exist only at run time.",
                **CONTAINER_BASICS_REASONS,
            },
        )


BOOTSTRAP_ASSETS = "arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*"
SAGEMAKER_LOGS = "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/*"
CONTAINER_BASICS_REASONS = {
    BOOTSTRAP_ASSETS: "CDK asset grant_read: the sourcedir archive's key in the bootstrap bucket is a content hash.",
    SAGEMAKER_LOGS: "SageMaker names its log groups /aws/sagemaker/TrainingJobs, ProcessingJobs, Endpoints/<name>.",
    "*": "cloudwatch:PutMetricData has no resource-level permissions; a namespace condition limits it.",
}


def grant_container_basics(role: iam.Role, key: kms.IKey, code: s3_assets.Asset) -> None:
    """What every Slipstream SageMaker container needs whatever it does: the data key (objects and ML volumes),
    the code archive it runs (the sourcedir, or the validation job's own archive), its log groups and SageMaker's
    own metrics (cdk-nag: CONTAINER_BASICS_REASONS)."""
    key.grant_encrypt_decrypt(role)
    # The key also encrypts the jobs' ML volumes (VolumeKmsKeyId): SageMaker creates a grant on it for the
    # instance, as this role, so the role may create grants, but only for AWS resources.
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["kms:CreateGrant"],
            resources=[key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
    )
    code.grant_read(role)
    stack = Stack.of(role)
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[
                stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name="/aws/sagemaker/*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
    )
    # PutMetricData has no resource-level permissions; the condition limits it to SageMaker's namespaces.
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"]}},
        )
    )
