"""Live quality per variant: feedback joined with captured predictions."""

from __future__ import annotations

import pandas as pd

from slipstream.monitoring.quality import quality_by_variant
from slipstream.monitoring.traffic import Traffic, feedback_frame


def test_integer_labels_stay_comparable_when_one_row_has_no_feedback() -> None:
    # One missing answer makes the joined ground_truth column float (1 -> 1.0); accuracy must not drop to 0.
    meta = pd.DataFrame(
        {
            "request_id": ["a", "b", "c"],
            "row": [0, 0, 0],
            "variant": "champion",
            "model_version": "1",
            "prediction": [1, 0, 1],
        }
    )
    traffic = Traffic(pd.DataFrame(index=meta.index), meta)
    feedback = feedback_frame(
        [{"request_id": "a", "row": 0, "ground_truth": 1}, {"request_id": "b", "row": 0, "ground_truth": 0}]
    )
    (quality,) = quality_by_variant(traffic, feedback, task="classification", min_feedback=2)
    assert quality.labelled == 2
    assert quality.metrics == {"accuracy": 1.0}
