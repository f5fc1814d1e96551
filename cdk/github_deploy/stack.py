"""GitHub deploy: the OIDC provider (or the account's existing one) and this stage's deploy role.

Built only when the stage sets `github_repository`. Deploy it once with administrator credentials
(`cdk deploy <name>-<stage>-github-deploy`, which deploys the storage stack first); from then on the
workflow deploys everything with the role (docs/deploy.md).
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cdk.github_deploy.role import GitHubDeployRole, GitHubOidcProvider
from cdk.shared.settings import DeploySettings
from cdk.shared.storage_stack import StorageExports


class GitHubDeployStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploySettings, storage: StorageExports, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data_bucket, _, _ = storage.import_into(self)
        provider = GitHubOidcProvider(self, "GitHub", existing_arn=settings.stage.github_oidc_provider_arn).provider
        self.deploy = GitHubDeployRole(
            self,
            "Deploy",
            settings=settings,
            provider=provider,
            data_bucket=data_bucket,
            data_ref=storage.name("data-bucket-arn"),
        )
        CfnOutput(self, "DeployRoleArn", value=self.deploy.role.role_arn, description="role-to-assume in the workflow")
        CfnOutput(self, "OidcProviderArn", value=provider.oidc_provider_arn)
