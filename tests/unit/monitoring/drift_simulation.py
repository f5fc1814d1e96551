"""Seeded drift simulations: windows of traffic through the real verdict path (`figures.version_drift`).

`false_alarms` counts windows in which anything (a feature or the prediction) is called drift; `caught`
counts windows in which a named feature is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from slipstream.monitoring.figures import Settings, VersionDrift, version_drift
from slipstream.monitoring.traffic import Traffic

Draw = Callable[[np.random.Generator, int], tuple[pd.DataFrame, pd.Series]]  # rng, rows -> features, predictions


@dataclass(frozen=True)
class Rate:
    hits: int
    windows: int

    @property
    def rate(self) -> float:
        return self.hits / self.windows

    def __str__(self) -> str:
        return f"{self.hits}/{self.windows} = {self.rate:.1%}"


def verdict(
    features: pd.DataFrame, predictions: pd.Series, baseline: dict[str, Any], settings: Settings
) -> VersionDrift:
    meta = pd.DataFrame({"variant": "champion", "model_version": "1", "prediction": predictions.to_numpy()})
    return version_drift(Traffic(features.reset_index(drop=True), meta), "1", baseline, settings)


def simulate(
    draw: Draw, baseline: dict[str, Any], rows: int, windows: int, seed: int, settings: Settings | None = None
) -> list[VersionDrift]:
    """The verdicts of `windows` seeded windows of `rows` rows, at the default settings unless given."""
    rng = np.random.default_rng(seed)
    settings = settings or Settings()
    return [verdict(*draw(rng, rows), baseline, settings) for _ in range(windows)]


def rate(verdicts: list[VersionDrift], hit: Callable[[VersionDrift], bool]) -> Rate:
    return Rate(sum(hit(version) for version in verdicts), len(verdicts))


def any_drift(version: VersionDrift) -> bool:
    return bool(version.drifted) or version.prediction_drifted


def resample(frame: pd.DataFrame, predictions: pd.Series) -> Draw:
    """Rows drawn with replacement from `frame` (and their predictions)."""

    def draw(rng: np.random.Generator, rows: int) -> tuple[pd.DataFrame, pd.Series]:
        picked = rng.integers(0, len(frame), rows)
        return frame.iloc[picked], predictions.iloc[picked]

    return draw


def shifted(draw: Draw, feature: str, by: float) -> Draw:
    def shifted_draw(rng: np.random.Generator, rows: int) -> tuple[pd.DataFrame, pd.Series]:
        features, predictions = draw(rng, rows)
        return features.assign(**{feature: features[feature] + by}), predictions

    return shifted_draw
