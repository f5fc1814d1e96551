"""The experiment's rows: captured predictions since the challenger was deployed, joined with their feedback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from lambdas.common.captures import capture_keys, read_capture, read_feedback
from lambdas.experiment.env import ExperimentEnv
from slipstream.documents.deployment import DeploymentRecord
from slipstream.experiment.outcomes import experiment_rows
from slipstream.monitoring.traffic import feedback_frame


def experiment_start(record: DeploymentRecord) -> datetime:
    """When the challenger started serving (RecordChallenger's time; its registration time for an older record)."""
    challenger = record.challenger
    assert challenger is not None
    started = datetime.fromisoformat(challenger.deployed_at or challenger.registered_at)
    return started if started.tzinfo else started.replace(tzinfo=UTC)


def read_rows(env: ExperimentEnv, record: DeploymentRecord, s3: Any, dynamodb: Any) -> pd.DataFrame:
    """Rows answered by this experiment's two versions since it started: traffic from before (champion only)
    would skew the sample-ratio check, and another version's rows are not this comparison's."""
    since = experiment_start(record)
    keys = capture_keys(s3, env.capture_bucket, env.capture_prefix, since, env.max_capture_objects)
    traffic = read_capture(s3, env.capture_bucket, keys)
    feedback = feedback_frame(read_feedback(dynamodb, env.feedback_table, env.max_feedback_items))
    rows = experiment_rows(traffic, feedback)
    versions = {name: variant.version for name in ("champion", "challenger") if (variant := record.variant(name))}
    ours = pd.Series(False, index=rows.index)
    for name, version in versions.items():
        ours |= (rows["variant"] == name) & (rows["model_version"].astype(str) == version)
    answered = pd.to_datetime(rows["timestamp"], utc=True, errors="coerce", format="ISO8601")
    return rows[ours & (answered.isna() | (answered >= since))].reset_index(drop=True)
