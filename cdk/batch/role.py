"""The role the batch processing job runs as: read the files to score and write the results (the data bucket's
batch prefixes only), read the retained models and the serving contract; nothing of the training runs."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from cdk.pipeline.sagemaker_role import CONTAINER_BASICS_REASONS, grant_container_basics
from cdk.shared.nag import acknowledge_grants
from slipstream.batch_config import BatchConfig
from slipstream.batch_keys import MANIFEST_PREFIX
from slipstream.layout import CONTRACT_KEY, MODELS_PREFIX


def batch_role(
    scope: Construct,
    *,
    batch: BatchConfig,
    data_bucket: s3.IBucket,
    artifact_bucket: s3.IBucket,
    key: kms.IKey,
    sourcedir: s3_assets.Asset,
    refs: tuple[str, str],  # how cdk-nag prints the data and artifact bucket ARNs (their export names)
) -> iam.Role:
    role = iam.Role(
        scope,
        "BatchJobRole",
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description="Slipstream batch scoring processing jobs",
    )
    data_bucket.grant_read(role, f"{batch.input_prefix}*")
    data_bucket.grant_put(role, f"{batch.output_prefix}*")
    artifact_bucket.grant_read(role, f"{MODELS_PREFIX}*")
    artifact_bucket.grant_read(role, CONTRACT_KEY)
    artifact_bucket.grant_read(role, f"{MANIFEST_PREFIX}*")  # SageMaker reads the input's manifest as this role
    grant_container_basics(role, key, sourcedir)
    data_ref, artifact_ref = refs
    acknowledge_grants(
        role,
        {
            f"{data_ref}/{batch.input_prefix}*": "Any file put under the batch input prefix is scored; its name "
            "is known only when it lands.",
            f"{data_ref}/{batch.output_prefix}*": "Results go to a folder named after the scored file.",
            f"{artifact_ref}/{MODELS_PREFIX}*": "The champion's retained model archive (models/<run id>/"
            "model.tar.gz); which run is champion is known only at run time.",
            f"{artifact_ref}/{MANIFEST_PREFIX}*": "The manifest naming the one file to score, written per file.",
            **CONTAINER_BASICS_REASONS,
        },
    )
    return role
