"""A seeded classification table of any size (numeric and categorical columns, some missing values).

Generated, never downloaded: the benchmarks must run offline and give the same rows on every machine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TARGET = "label"
CATEGORIES = {
    "plan": ["basic", "plus", "pro"],
    "region": ["north", "south", "east", "west"],
    "channel": ["web", "store", "phone", "partner", "email"],
    "device": ["ios", "android", "desktop"],
}


def classification_table(rows: int, columns: int = 32, seed: int = 0) -> pd.DataFrame:
    """`columns` features (all but four numeric, 2% missing in every third numeric one) and a yes/no label."""
    rng = np.random.default_rng(seed)
    numeric = columns - len(CATEGORIES)
    values = rng.normal(size=(rows, numeric))
    weights = rng.normal(size=numeric) / np.sqrt(numeric)
    frame = pd.DataFrame(values, columns=[f"x{i:02d}" for i in range(numeric)])
    score = values @ weights
    for name, levels in CATEGORIES.items():
        codes = rng.integers(0, len(levels), rows)
        score += (codes - len(levels) / 2) * 0.3
        frame[name] = np.asarray(levels, dtype=object)[codes]
    for i in range(0, numeric, 3):  # missing values after the score: the label does not depend on them
        frame.iloc[rng.random(rows) < 0.02, i] = np.nan
    noise = rng.logistic(size=rows)
    frame[TARGET] = np.where(score + noise > 0, "yes", "no")
    return frame


def project_config(source: str, name: str = "synthetic") -> str:
    """A slipstream.toml for the table written to `source` (the default estimator, the default gate)."""
    return f'name = "{name}"\n\n[data]\nsource = "{source}"\ntarget = "{TARGET}"\ntask = "classification"\n'
