"""The running experiment's result from what `slipstream serve` captured and the feedback it received.

Only rows of this experiment count: the champion's version answering as champion, the challenger's as
challenger (or in shadow), from the first request the challenger answered. Earlier champion-only traffic
(before `slipstream serve` routed to the challenger) would otherwise read as a sample ratio mismatch.
"""

from __future__ import annotations

import pandas as pd

from slipstream.config import Config
from slipstream.experiment.outcomes import analyse, experiment_rows
from slipstream.experiment.result import ExperimentResult
from slipstream.experiment.shadow import shadow_summary
from slipstream.local.experiments import Experiment
from slipstream.local.monitoring.sources import load_feedback, load_traffic


def local_result(config: Config, experiment: Experiment) -> ExperimentResult:
    rows = experiment_rows(load_traffic(config), load_feedback(config))
    rows = rows_of(rows, experiment)
    result = analyse(rows, config.experiment)
    return result.model_copy(update={"shadow": shadow_summary(rows, task=config.data.task)})


def rows_of(rows: pd.DataFrame, experiment: Experiment) -> pd.DataFrame:
    champion, challenger = experiment.champion.version, experiment.challenger.version
    version = rows["model_version"].astype(str)
    ours = ((rows["variant"] == "champion") & (version == champion)) | (
        (rows["variant"] == "challenger") & (version == challenger)
    )
    rows = rows[ours].copy()
    shadowed = rows["shadowed"].fillna(False).astype(bool) if "shadowed" in rows else pd.Series(False, rows.index)
    # A request mirrored to another challenger (an earlier experiment) is only the champion's here.
    shadowed &= rows.get("shadow_model_version", pd.Series(None, rows.index)).astype(str) == challenger
    rows["shadowed"] = shadowed
    times = pd.to_datetime(rows["timestamp"], utc=True, errors="coerce", format="ISO8601")
    started = times[(rows["variant"] == "challenger") | shadowed].min()
    if pd.isna(started):
        return rows.iloc[0:0]  # the challenger has answered nothing yet: nothing to compare
    staged = pd.Timestamp(experiment.challenger.created_at, unit="ms", tz="UTC")
    return rows[times >= max(started, staged)]
