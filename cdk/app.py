"""Build every stack of one stage into an App. app.py calls this; the infra tests call it in process."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack, Tags

from cdk.batch.stack import BatchStack
from cdk.github_deploy.stack import GitHubDeployStack
from cdk.monitoring.stack import MonitoringStack
from cdk.observability.datadog_stack import DatadogMetricStreamStack
from cdk.pipeline.stack import PipelineStack
from cdk.serving.stack import ServingStack
from cdk.shared.datadog import instrument_functions
from cdk.shared.nag import add_nag_checks
from cdk.shared.notifications_stack import NotificationsStack
from cdk.shared.settings import DeploySettings
from cdk.shared.storage_stack import StorageStack


def build_app(app: App, settings: DeploySettings) -> dict[str, Stack]:
    """Add the stage's stacks to `app` (env-agnostic unless the stage names an account/region)."""
    env = None
    if settings.env_account or settings.env_region:
        env = Environment(account=settings.env_account, region=settings.env_region)
    prefix = settings.prefix
    storage = StorageStack(
        app,
        f"{prefix}-storage",
        settings=settings,
        env=env,
        description="Slipstream: data and artifact buckets, KMS key",
    )
    notifications = NotificationsStack(
        app,
        f"{prefix}-notifications",
        settings=settings,
        env=env,
        description="Slipstream: pipeline notifications topic",
    )
    serving = ServingStack(
        app,
        f"{prefix}-serving",
        settings=settings,
        env=env,
        description="Slipstream: prediction API, predict Lambda, capture stream and feedback table",
        storage=storage.exports,
    )
    serving.add_stack_dependency(storage, "imports the buckets and key by export name")
    pipeline = PipelineStack(
        app,
        f"{prefix}-pipeline",
        settings=settings,
        env=env,
        description="Slipstream: Step Functions training pipeline and triggers",
        storage=storage.exports,
        topic=notifications.topic,
    )
    pipeline.add_stack_dependency(storage, "imports the buckets and key by export name")
    pipeline.add_stack_dependency(serving, "its SmokeTest calls the prediction API (URL and key by export name)")
    monitoring = MonitoringStack(
        app,
        f"{prefix}-monitoring",
        settings=settings,
        env=env,
        description="Slipstream: alarms, dashboard, drift Lambda and Slack notifier",
        storage=storage.exports,
        topic=notifications.topic,
        state_machine=pipeline.state_machine,
        serving=serving,
    )
    monitoring.add_stack_dependency(storage, "imports the artifact bucket by export name")
    batch = BatchStack(
        app,
        f"{prefix}-batch",
        settings=settings,
        env=env,
        description="Slipstream: batch scoring of files under the batch input prefix (docs/batch.md)",
        storage=storage.exports,
        topic=notifications.topic,
    )
    batch.add_stack_dependency(storage, "imports the buckets and key by export name")
    stacks: dict[str, Stack] = {
        "storage": storage,
        "notifications": notifications,
        "pipeline": pipeline,
        "serving": serving,
        "monitoring": monitoring,
        "batch": batch,
    }
    if wants_github_deploy(settings):
        github = GitHubDeployStack(
            app,
            f"{prefix}-github-deploy",
            settings=settings,
            env=env,
            description="Slipstream: GitHub Actions OIDC deploy role for this stage",
            storage=storage.exports,
        )
        github.add_stack_dependency(storage, "imports the data bucket and key by export name")
        stacks["github_deploy"] = github
    add_datadog(app, settings, stacks, env)
    Tags.of(app).add("slipstream:project", settings.config.name)
    Tags.of(app).add("slipstream:stage", settings.stage_name)
    add_nag_checks(app)
    return stacks


def add_datadog(app: App, settings: DeploySettings, stacks: dict[str, Stack], env: Environment | None) -> None:
    """With Datadog on for the stage: every Lambda instrumented, and the metric stream in a stack of its own."""
    datadog = settings.datadog
    if datadog is None:
        return
    for stack in list(stacks.values()):
        instrument_functions(stack, settings)
    if datadog.metric_stream:
        storage = stacks["storage"]
        assert isinstance(storage, StorageStack)
        stream = DatadogMetricStreamStack(
            app,
            f"{settings.prefix}-datadog",
            settings=settings,
            datadog=datadog,
            storage=storage.exports,
            env=env,
            description="Slipstream: CloudWatch metric stream to Datadog",
        )
        stream.add_stack_dependency(storage, "imports the artifact bucket and key by export name")
        stacks["datadog"] = stream


def wants_github_deploy(settings: DeploySettings) -> bool:
    """The deploy role exists only for stages that name the GitHub repository allowed to deploy them."""
    return bool(settings.stage.github_repository)
