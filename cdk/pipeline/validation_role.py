"""The role SageMaker assumes for the ValidateData processing job, and no other container.

The job reads the uploaded data and the stored contract, writes the contract on the first run and its answer
under runs/<run id>/. The training, evaluation and serving containers need none of the first three, so they keep
their own role (sagemaker_role.py): a model container that could rewrite the contract, or read every upload,
would reach what every later run is checked against.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from cdk.pipeline.sagemaker_role import CONTAINER_BASICS_REASONS, grant_container_basics
from cdk.shared.nag import acknowledge_grants
from slipstream.layout import CONTRACT_PREFIX
from slipstream.stage_config import StageConfig


class ValidationJobRole(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        data_bucket: s3.IBucket,
        artifact_bucket: s3.IBucket,
        runs_prefix: str,
        key: kms.IKey,
        code: s3_assets.Asset,
        # How cdk-nag prints the buckets' ARNs (their export names), for the acknowledgements.
        data_ref: str,
        artifact_ref: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Slipstream ValidateData processing job",
        )
        data_bucket.grant_read(self.role, f"{stage.data_prefix}*")
        artifact_bucket.grant_read(self.role, f"{CONTRACT_PREFIX}*")
        artifact_bucket.grant_put(self.role, f"{CONTRACT_PREFIX}*")  # as the Lambda's: no delete
        artifact_bucket.grant_put(self.role, f"{runs_prefix}*")  # the job's answer and the run's splits
        grant_container_basics(self.role, key, code)
        acknowledge_grants(
            self.role,
            {
                f"{data_ref}/{stage.data_prefix}*": "The job downloads whichever object under the data prefix "
                "started the run; keys are known only at run time.",
                f"{artifact_ref}/{CONTRACT_PREFIX}*": "The job reads the stored contract and writes it on the first "
                "run, as the ValidateData Lambda does.",
                f"{artifact_ref}/{runs_prefix}*": "The job writes its answer and the splits to runs/<run id>/ "
                "(PutObject only); run ids exist only at run time.",
                **CONTAINER_BASICS_REASONS,
            },
        )
