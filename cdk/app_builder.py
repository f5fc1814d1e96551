"""Build every stack of one stage into an App. app.py calls this; the infra tests call it in process."""

from __future__ import annotations

from aws_cdk import App, Environment, Tags

from cdk.nag import add_nag_checks
from cdk.settings import DeploySettings
from stacks.notifications import NotificationsStack
from stacks.pipeline import PipelineStack
from stacks.storage import StorageStack


def build_app(app: App, settings: DeploySettings) -> dict[str, object]:
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
    stacks: dict[str, object] = {"storage": storage, "notifications": notifications, "pipeline": pipeline}
    Tags.of(app).add("slipstream:project", settings.config.name)
    Tags.of(app).add("slipstream:stage", settings.stage_name)
    add_nag_checks(app)
    return stacks
