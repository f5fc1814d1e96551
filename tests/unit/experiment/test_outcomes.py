import math

import numpy as np
import pandas as pd
import pytest

from slipstream.experiment.outcomes import analyse, experiment_rows, row_outcomes
from slipstream.monitoring.traffic import feedback_frame, traffic_from_rows
from tests.unit.experiment.simulate import settings


def _rows(**columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_accuracy_compares_labels_as_text_whatever_their_type() -> None:
    rows = _rows(prediction=[1, "yes", 0, 2], ground_truth=[1.0, "yes", "1", 2])
    assert row_outcomes(rows, "accuracy").tolist() == [1.0, 1.0, 0.0, 1.0]


def test_log_loss_uses_the_probability_of_the_true_class_clipped() -> None:
    rows = _rows(
        prediction=["a", "b", "a", "a"],
        ground_truth=["a", "a", "b", "a"],
        probabilities=[{"a": 0.8, "b": 0.2}, {"a": 0.0, "b": 1.0}, {"a": 0.9}, None],
    )
    losses = row_outcomes(rows, "log_loss")
    assert losses[0] == pytest.approx(-math.log(0.8))
    assert losses[1] == pytest.approx(-math.log(1e-15))  # a confident mistake costs a lot, not infinity
    assert losses[2] == pytest.approx(-math.log(1e-15))  # a class the model never offered
    assert math.isnan(losses[3])  # no probabilities captured: the row cannot be scored


def test_regression_errors() -> None:
    rows = _rows(prediction=[3.0, "1.5", "x"], ground_truth=[1.0, 2.0, 1.0])
    assert row_outcomes(rows, "absolute_error")[:2].tolist() == [2.0, 0.5]
    assert row_outcomes(rows, "squared_error")[:2].tolist() == [4.0, 0.25]
    assert math.isnan(row_outcomes(rows, "squared_error")[2])


def _captured(rng: np.random.Generator, requests: int) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Capture rows and feedback records as the predict Lambda writes them; the challenger is right more often."""
    captures, feedback = [], []
    for i in range(requests):
        variant = "challenger" if i % 2 else "champion"
        truth = "yes" if rng.random() < 0.5 else "no"
        right = rng.random() < (0.95 if variant == "challenger" else 0.75)
        predicted = truth if right else ("no" if truth == "yes" else "yes")
        p_yes = 0.9 if predicted == "yes" else 0.1
        captures.append(
            {
                "request_id": f"r{i}",
                "row": 0,
                "timestamp": f"2026-11-01T00:{i // 60 % 60:02d}:{i % 60:02d}.000+00:00",
                "variant": variant,
                "model_version": "2" if variant == "challenger" else "1",
                "latency_ms": 12.5,
                "prediction": predicted,
                "probabilities": {"yes": p_yes, "no": 1 - p_yes},
                "x": 1.0,
            }
        )
        if i % 10 not in (0, 5):  # a fifth of each variant never gets feedback
            feedback.append({"request_id": f"r{i}", "row": 0, "ground_truth": truth})
    return captures, feedback


def test_captured_traffic_and_feedback_become_a_decided_experiment() -> None:
    captures, feedback = _captured(np.random.default_rng(17), 1_200)
    rows = experiment_rows(traffic_from_rows(captures, ["x"]), feedback_frame(feedback))

    for metric in ("accuracy", "log_loss"):
        result = analyse(rows, settings(weight=0.5, metric=metric, min_samples=100))
        assert result.decision == "challenger better", result.reason
        champion, challenger = result.variant("champion"), result.variant("challenger")
        assert (champion.assigned, challenger.assigned) == (600, 600)
        assert champion.labelled == challenger.labelled == 480 and challenger.versions == ["2"]
        assert result.sample_ratio.observed_share == pytest.approx(0.5)
        assert {(g.name, g.value) for g in result.guardrails if g.variant == "champion"} == {
            ("error_rate", None),  # the capture records no failed requests yet
            ("p95_latency_ms", 12.5),
        }


def test_rows_without_the_needed_columns_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"lack the column\(s\) ground_truth, request_id"):
        analyse(_rows(variant=["champion"], prediction=[1]), settings())
