"""The seam between the evaluation job (training/evaluation_run.py, in the image: it cannot import slipstream)
and the quality gate (slipstream/documents/evaluation.py): what the writer writes, the reader reads."""

from __future__ import annotations

from pathlib import Path

import evaluation_run  # training/ is on the test path: the script the processing job runs
import numpy as np
import pandas as pd
import pytest
import training_run

from slipstream.config import GateConfig
from slipstream.documents.evaluation import Evaluation
from slipstream.steps.gate import decide

REPO = Path(__file__).resolve().parents[2]


def _channel(root: Path, name: str, frame: pd.DataFrame) -> Path:
    (root / name).mkdir(parents=True)
    frame.to_csv(root / name / f"{name}.csv", index=False)
    return root / name


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("seam")
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=240), "colour": rng.choice(["red", "blue"], 240)})
    frame["y"] = np.where(frame["x"] + rng.normal(0, 0.5, 240) > 0, "yes", "no")
    train, test = _channel(root, "train", frame[:160]), _channel(root, "test", frame[160:])
    training_run.train(
        target="y",
        task="classification",
        estimator="sklearn.linear_model.LogisticRegression",
        params={},
        seed=7,
        channel_dir=train,
        model_dir=root / "model",
        output_data_dir=root / "out",
        script_dir=REPO / "training",
    )
    return evaluation_run.evaluate(
        model_dir=root / "model",
        test_dir=test,
        output_dir=root / "eval",
        champion_dir=root / "model",
        behaviour_path=None,
    )


def test_what_the_evaluation_job_writes_is_what_the_gate_reads(report: dict) -> None:
    evaluation = Evaluation.model_validate(report)
    assert evaluation.comparison is not None
    assert set(evaluation.comparison.metrics) == {"accuracy", "f1", "roc_auc", "log_loss"}
    assert evaluation.comparison.baseline.source == "training data"  # recorded in metadata.json by training
    roc = evaluation.comparison.metrics["roc_auc"]
    assert roc.baseline == 0.5 and roc.challenger == pytest.approx(report["metrics"]["roc_auc"], abs=1e-12)
    decision = decide(report, GateConfig(metric="roc_auc"), higher_is_better=True)
    assert decision.baseline is not None and decision.champion is not None
    assert (decision.baseline.verdict, decision.champion.verdict) == ("better", "not distinguishable")
    assert decision.passed, decision.reasons


def test_a_key_the_reader_does_not_know_is_refused(report: dict) -> None:
    metrics = report["comparison"]["metrics"]
    renamed = {**metrics, "roc_auc": {**metrics["roc_auc"], "vs_base": metrics["roc_auc"]["vs_baseline"]}}
    with pytest.raises(ValueError, match="vs_base"):
        Evaluation.model_validate({**report, "comparison": {**report["comparison"], "metrics": renamed}})
