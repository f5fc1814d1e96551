"""Alarm names the monitoring stack gives and the pipeline stack's RetrainOnAlarm rule matches.

The rule cannot reference the alarms (the monitoring stack depends on the pipeline stack), so both sides derive
the names here from the settings alone.
"""

from __future__ import annotations

from cdk.shared.settings import DeploySettings

RETRAIN_VARIANT = "champion"  # the challenger's fate is the experiment's (or canary's) call, not a retrain's


def alarm_name(settings: DeploySettings, slug: str) -> str:
    return f"{settings.prefix}-{slug}"


def drift_slug(variant: str) -> str:
    return f"{variant}-drift"


def prediction_drift_slug(variant: str) -> str:
    return f"{variant}-prediction-drift"


def quality_slug(variant: str) -> str:
    return f"{variant}-live-quality"


def has_drift_alarms(settings: DeploySettings) -> bool:
    """The drift Lambda runs, and so drift and live quality are published, only when traffic is captured."""
    return settings.config.serving.capture


def has_quality_alarm(settings: DeploySettings) -> bool:
    return has_drift_alarms(settings) and settings.config.monitoring.alarms.quality_floor is not None


def retrain_alarm_names(settings: DeploySettings) -> list[str]:
    """The champion alarms `[retraining] on` selects (empty: no retraining on alarms)."""
    on, slugs = settings.config.retraining.on, []
    if "drift" in on and has_drift_alarms(settings):
        slugs += [drift_slug(RETRAIN_VARIANT), prediction_drift_slug(RETRAIN_VARIANT)]
    if "quality" in on and has_quality_alarm(settings):
        slugs.append(quality_slug(RETRAIN_VARIANT))
    return [alarm_name(settings, slug) for slug in slugs]
