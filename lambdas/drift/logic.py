"""One drift run: read the window of capture, the baselines and feedback, compute, publish."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from lambdas.common.captures import capture_keys, read_capture, read_deployment, read_feedback
from lambdas.drift.env import DriftEnv
from lambdas.drift.publish import Emit, publish
from lambdas.drift.sources import baseline_uris, load_baselines
from slipstream.monitoring.figures import Settings, compute_figures
from slipstream.monitoring.traffic import baseline_features, feedback_frame

EMPTY_SUMMARY: dict[str, Any] = {
    "objects": 0,
    "rows": 0,
    "versions": [],
    "without_baseline": [],
    "drifted": {},
    "data_points": 0,
}


def run_drift(env: DriftEnv, client: Callable[[str], Any], emit: Emit, now: datetime | None = None) -> dict[str, Any]:
    config = env.config()
    monitoring = config.monitoring
    s3 = client("s3")
    deployment = read_deployment(s3, env.deployment_uri)
    if deployment is None:
        # Nothing serves yet, so there is no traffic to compare: no metric (the alarm treats missing data as not
        # breaching), and no error every hour until the first model is deployed.
        return {**EMPTY_SUMMARY, "deployed": False, "reason": f"nothing deployed yet (no {env.deployment_uri})"}
    since = (now or datetime.now(UTC)) - timedelta(hours=monitoring.window_hours)
    keys = capture_keys(s3, env.capture_bucket, env.capture_prefix, since, env.max_capture_objects)
    traffic = read_capture(s3, env.capture_bucket, keys)
    uris = baseline_uris(deployment, env.artifact_bucket)
    baselines = load_baselines(s3, uris, traffic.versions)
    traffic = traffic.named(baseline_features(baselines))
    items = read_feedback(client("dynamodb"), env.feedback_table, env.max_feedback_items) if env.feedback_table else []
    settings = Settings(monitoring.psi_threshold, monitoring.min_samples, monitoring.min_feedback)
    figures = compute_figures(traffic, baselines, feedback_frame(items), task=config.data.task, settings=settings)
    points = publish(figures, config.name, emit)
    return {
        "deployed": True,
        "objects": len(keys),
        "rows": figures.rows,
        "versions": [v.version for v in figures.versions],
        "without_baseline": [v.version for v in figures.versions if v.baseline is None],
        "drifted": figures.drifted,
        "data_points": points,
    }
