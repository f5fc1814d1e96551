"""The role a GitHub Actions job assumes (OIDC, no stored keys) to deploy one stage and run its pipeline once.

Trust: only tokens for `repo:<owner>/<repo>:environment:<stage>`, i.e. jobs that run in the GitHub
environment named after the stage (where approvals protect staging and prod), audience sts.amazonaws.com.
Rights: what `cdk deploy` and `python -m slipstream.cli.cloud_run --stage <stage>` need, nothing more:
- assume the CDK bootstrap roles (deploy, file/image publishing, lookup): CloudFormation does the deploying;
- read the stage's stack outputs (cloud_run finds the data bucket and the state machine there);
- put the dataset under the data bucket's `data_prefix` (default `incoming/`) (which starts the pipeline);
- describe the executions of the stage's state machine (cloud_run follows the one it started).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, DefaultStackSynthesizer, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.shared.nag import acknowledge, acknowledge_grants
from cdk.shared.settings import DeploySettings
from slipstream.promotion_config import source_stage

GITHUB_ISSUER = "token.actions.githubusercontent.com"
BOOTSTRAP_ROLES = ("deploy-role", "file-publishing-role", "image-publishing-role", "lookup-role")


def github_subject(repository: str, stage: str) -> str:
    return f"repo:{repository}:environment:{stage}"


class GitHubOidcProvider(Construct):
    """GitHub's OIDC provider: created here, or the account's existing one (an account holds one per URL)."""

    def __init__(self, scope: Construct, construct_id: str, *, existing_arn: str | None) -> None:
        super().__init__(scope, construct_id)
        if existing_arn:
            self.provider = iam.OidcProviderNative.from_oidc_provider_arn(self, "Provider", existing_arn)
        else:
            # The native AWS::IAM::OIDCProvider (no custom-resource Lambda); IAM no longer needs thumbprints for
            # GitHub, whose certificate chains to a trusted CA.
            self.provider = iam.OidcProviderNative(
                self, "Provider", url=f"https://{GITHUB_ISSUER}", client_ids=["sts.amazonaws.com"]
            )


class GitHubDeployRole(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        provider: iam.IOidcProvider,
        data_bucket: s3.IBucket,
        data_ref: str,
    ) -> None:
        super().__init__(scope, construct_id)
        repository, stage = settings.stage.github_repository, settings.stage_name
        assert repository, "only built when [stages.<stage>] github_repository is set"
        self.subject = github_subject(repository, stage)
        self.role = iam.Role(
            self,
            "Role",
            role_name=settings.github_deploy_role_name,
            description=f"GitHub Actions in {repository}, environment {stage}: deploy and run {settings.prefix}",
            max_session_duration=Duration.hours(2),  # the deploy job waits for one pipeline run (up to ~90 min)
            assumed_by=iam.WebIdentityPrincipal(
                provider.oidc_provider_arn,
                conditions={
                    "StringEquals": {f"{GITHUB_ISSUER}:aud": "sts.amazonaws.com", f"{GITHUB_ISSUER}:sub": self.subject}
                },
            ),
        )
        stack = Stack.of(self)
        qualifier = DefaultStackSynthesizer.DEFAULT_QUALIFIER  # cdk.json sets no other qualifier
        bootstrap = [
            stack.format_arn(
                service="iam",
                region="",
                resource="role",
                resource_name=f"cdk-{qualifier}-{role}-{stack.account}-{stack.region}",
            )
            for role in BOOTSTRAP_ROLES
        ]
        self.role.add_to_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=bootstrap))
        stacks = stack.format_arn(service="cloudformation", resource="stack", resource_name=f"{settings.prefix}-*/*")
        self.role.add_to_policy(iam.PolicyStatement(actions=["cloudformation:DescribeStacks"], resources=[stacks]))
        data_prefix = f"{settings.stage.data_prefix}*"
        data_bucket.grant_put(self.role, data_prefix)
        executions = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{settings.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.role.add_to_policy(iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions]))
        self._promotion_rights(stack, settings, executions)
        acknowledge_grants(
            self.role,
            {
                f"{data_ref}/{data_prefix}": "cloud_run uploads the dataset under the data prefix; the name carries "
                "the data hash.",
            },
        )
        acknowledge(
            self.role,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/"
            f"{settings.prefix}-*/*]",
            "This stage's stacks only (names start with the stage prefix); CloudFormation appends a random stack id.",
        )
        acknowledge(
            self.role,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
            f"{settings.state_machine_name}:*]",
            "Executions of this stage's pipeline only; execution names are run ids, known only at run time.",
        )

    def _promotion_rights(self, stack: Stack, settings: DeploySettings, executions: str) -> None:
        """What `slipstream promote` needs in a stage that promotes (docs/promotion.md): find the source's
        package, start this stage's state machine and read the execution's history (WaitForApproval)."""
        source = source_stage(settings.stage_name, settings.stage)
        if source is None:
            return
        source_settings = DeploySettings(config=settings.config, stage_name=source, stage=settings.config.stage(source))
        group = source_settings.model_package_group.lower()
        packages = stack.format_arn(
            service="sagemaker",
            resource="model-package",
            resource_name=f"{group}/*",
            account=source_settings.stage.account or stack.account,
        )
        machine = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=settings.state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeModelPackage"], resources=[packages]))
        # ListModelPackages supports no resource-level permissions.
        self.role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:ListModelPackages"], resources=["*"]))
        self.role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[machine]))
        self.role.add_to_policy(iam.PolicyStatement(actions=["states:GetExecutionHistory"], resources=[executions]))
        account = source_settings.stage.account or "<AWS::AccountId>"
        acknowledge_grants(
            self.role,
            {
                f"arn:<AWS::Partition>:sagemaker:<AWS::Region>:{account}:model-package/{group}/*": "promote "
                "describes the source stage's package versions; SageMaker numbers them.",
                "*": "ListModelPackages supports no resource-level permissions.",
            },
        )
