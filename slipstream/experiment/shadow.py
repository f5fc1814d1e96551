"""Shadow mode's figures: how often the challenger agrees with the champion on mirrored requests, and how
fast each answered them. Mirrored requests are the champion's assignments (the caller got its answer), so
they never enter the sample-ratio check or the outcome test: this is a side-by-side, not a second statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from slipstream.experiment.result import LatencySummary, ShadowSummary
from slipstream.monitoring.traffic import labels_as_text


def shadow_summary(rows: pd.DataFrame, *, task: str) -> ShadowSummary | None:
    """From experiment rows (slipstream.experiment.outcomes); None when no request was mirrored."""
    if "shadowed" not in rows:
        return None
    mirrored = rows[rows["shadowed"].fillna(False).astype(bool)]
    if mirrored.empty:
        return None
    requests = mirrored.drop_duplicates("request_id")
    answered = mirrored[mirrored["shadow_prediction"].notna() & mirrored["shadow_error"].isna()]
    agreement = difference = None
    if len(answered) and task == "classification":
        same = labels_as_text(answered["shadow_prediction"]) == labels_as_text(answered["prediction"])
        agreement = float(same.mean())
    elif len(answered):
        champion = pd.to_numeric(answered["prediction"], errors="coerce")
        challenger = pd.to_numeric(answered["shadow_prediction"], errors="coerce")
        difference = float(np.nanmean(np.abs(challenger - champion)))
    succeeded = requests[requests["shadow_error"].isna()]
    return ShadowSummary(
        requests=len(requests),
        failed=int(requests["shadow_error"].notna().sum()),
        rows=len(answered),
        agreement=agreement,
        mean_abs_difference=difference,
        champion_latency=_latency(requests["latency_ms"]),
        challenger_latency=_latency(succeeded["shadow_latency_ms"]),
    )


def _latency(values: pd.Series) -> LatencySummary:
    numbers = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if not len(numbers):
        return LatencySummary(p50_ms=None, p95_ms=None)
    return LatencySummary(p50_ms=float(np.percentile(numbers, 50)), p95_ms=float(np.percentile(numbers, 95)))
