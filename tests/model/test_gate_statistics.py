"""The gate's statistics tested as statistics: the weighted metrics are scikit-learn's, and over seeded
simulated evaluations (tests/model/gate_simulation.py, on the image's Python as the evaluation job runs) the
verdicts hold their error rates. The counts are printed (`pytest -s`) and stated in docs/pipeline.md."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from eval_metrics import compute_metrics
from gate_comparison import baseline_outputs, model_outputs, naive_baseline
from paired_metrics import METRIC_FUNCTIONS
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression

from slipstream.config import GateConfig
from slipstream.documents.evaluation import Interval
from slipstream.local.image_env import image_python
from slipstream.steps.gate import decide, verdict
from tests.model.model_suite import TRAINING_DIR, Split

# One worker: `simulated` is module-scoped, and spread over two workers it would be simulated twice.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("gate-statistics")]

SIMULATION = Path(__file__).with_name("gate_simulation.py")
# Draws per scenario: what the bounds need, as binomials at the rates docs/gate.md measured on larger runs.
# retrained: 200 draws, at most 10 distinguishable; at the measured 2.4% a seed change fails the test with
# p = 0.01, and the margin-0 rate (6.8%) is caught with p = 0.81 (100 draws: 0.034 and 0.68). no_signal:
# 200 draws at 2.5%, a false failure p = 0.013; a 10% pass rate is caught with p = 0.99. regression_retrained
# sits nearest its bound (3.7% against 5%; p = 0.14 of a false failure at 160): fewer would be a coin toss.
# worse (6.7% missed against 15%) and regression_no_signal (0.5% against 5%) have room, but cost little.
DRAWS = {
    "retrained": 200,
    "same": 20,
    "worse": 100,
    "no_signal": 200,
    "regression_retrained": 160,
    "regression_no_signal": 160,
}
MARGIN = GateConfig().max_regression  # the default margin against the champion (0.01 of roc_auc / r2)


def _fitted(split: Split, task: str) -> tuple[Any, pd.DataFrame, pd.Series, list[Any]]:
    x, y = split.train.drop(columns=[split.target]), split.train[split.target]
    model = LogisticRegression(max_iter=5000) if task == "classification" else RandomForestRegressor(random_state=0)
    numeric = x.select_dtypes("number").fillna(0)
    model.fit(numeric, y)
    test = split.test.drop(columns=[split.target]).select_dtypes("number").fillna(0)
    return model, test, split.test[split.target], list(getattr(model, "classes_", []))


@pytest.mark.parametrize(
    ("dataset", "task"), [("cancer", "classification"), ("iris", "classification"), ("housing", "regression")]
)
def test_the_weighted_metrics_are_scikit_learns(request: pytest.FixtureRequest, dataset: str, task: str) -> None:
    """At unit weights every metric is eval_metrics' value; at a resample's counts, scikit-learn's on the rows
    repeated that often (ties in the scores included): the bootstrap resamples the metric the gate reads."""
    model, features, y, classes = _fitted(request.getfixturevalue(dataset), task)
    outputs = model_outputs(task, model, features, y, classes)
    counts = np.random.default_rng(0).multinomial(len(y), np.full(len(y), 1 / len(y)))
    repeated = np.repeat(np.arange(len(y)), counts)
    expected = compute_metrics(task, model, features, y)["metrics"]
    resampled = compute_metrics(task, model, features.iloc[repeated], y.iloc[repeated])["metrics"]
    for name, function in METRIC_FUNCTIONS[task].items():
        at = function(outputs, np.vstack([np.ones(len(y)), counts.astype(float)]))
        assert at[0] == pytest.approx(expected[name], rel=1e-9, abs=1e-12), name
        assert at[1] == pytest.approx(resampled[name], rel=1e-9, abs=1e-12), name


def test_the_baseline_is_the_training_mean_or_majority_class(cancer: Split, housing: Split) -> None:
    recorded = naive_baseline("classification", cancer.train["target"])
    metadata = {"classes": ["benign", "malignant"], "baseline": recorded}
    outputs, described = baseline_outputs("classification", metadata, cancer.test["target"])
    assert described == {"kind": "majority class", "value": "benign", "source": "training data", "note": None}
    assert set(outputs.predicted) == {0}
    _, regression = baseline_outputs("regression", {"baseline": None}, housing.test["price"])
    assert regression["source"] == "held-out rows" and "records no training baseline" in regression["note"]
    assert regression["value"] == pytest.approx(housing.test["price"].mean())


# Two image-Python processes, one per core, each importing the scientific stack once; split by measured cost
# (CPU per draw: retrained 86 ms, regression_retrained 71, worse 48, no_signal 46, same 41, regression_no_signal 22).
PROCESSES = (("retrained", "regression_no_signal", "same"), ("regression_retrained", "worse", "no_signal"))


@pytest.fixture(scope="module")
def simulated() -> dict[str, list[dict[str, Any]]]:
    """Every scenario at once, on the image's Python (the machine's cores share the work)."""
    assert sorted(s for group in PROCESSES for s in group) == sorted(DRAWS)
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1"}
    processes = [
        subprocess.Popen(
            [str(image_python()), str(SIMULATION), str(TRAINING_DIR), *(f"{s}={DRAWS[s]}" for s in group)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for group in PROCESSES
    ]
    results: dict[str, list[dict[str, Any]]] = {scenario: [] for scenario in DRAWS}
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        for line in out.splitlines():
            draw = json.loads(line)
            results[draw.pop("scenario")].append(draw)
    assert {scenario: len(draws) for scenario, draws in results.items()} == DRAWS
    return results


def _verdicts(draws: list[dict[str, Any]], against: str, tolerance: float) -> Counter[str]:
    return Counter(verdict(Interval(**d["figures"][f"vs_{against}"]), tolerance, higher_is_better=True) for d in draws)


def _report(name: str, counts: Counter[str]) -> None:
    total = sum(counts.values())
    print(f"\n{name}: " + ", ".join(f"{v} {n}/{total} ({n / total:.1%})" for v, n in counts.most_common()))


@pytest.mark.parametrize("scenario", ["retrained", "regression_retrained", "same"])
def test_a_retrained_identical_model_is_not_distinguishable(simulated: dict, scenario: str) -> None:
    counts = _verdicts(simulated[scenario], "champion", MARGIN)
    _report(f"{scenario} vs champion", counts)
    total = sum(counts.values())
    assert counts["not distinguishable"] >= 0.95 * total
    assert counts["worse"] + counts["better"] <= 0.05 * total  # by noise, at most the rest
    # Without the margin the forests' seed-to-seed differences, real but immaterial, are found more often than
    # the interval's 5%: why the default margin is not 0 (docs/gate.md gives the measured rates).
    if scenario != "same":
        exact = _verdicts(simulated[scenario], "champion", 0.0)
        _report(f"{scenario} vs champion, margin 0", exact)
        assert exact["not distinguishable"] < counts["not distinguishable"]


def test_a_clearly_worse_model_is_worse_with_high_power(simulated: dict) -> None:
    counts = _verdicts(simulated["worse"], "champion", MARGIN)
    _report("worse vs champion", counts)
    assert counts["worse"] >= 0.85 * sum(counts.values())
    assert counts["better"] == 0


@pytest.mark.parametrize("scenario", ["no_signal", "regression_no_signal"])
def test_a_model_no_better_than_the_baseline_is_rejected(simulated: dict, scenario: str) -> None:
    counts = _verdicts(simulated[scenario], "baseline", 0.0)  # the gate asks the baseline for no margin
    _report(f"{scenario} vs baseline", counts)
    assert counts["better"] <= 0.05 * sum(counts.values())  # passing it is the only way through


def test_the_gate_rejects_what_the_baseline_verdict_does_not_support(simulated: dict) -> None:
    """The same figures through `decide`, as the QualityGate Lambda reads them."""
    decisions = [
        decide(_evaluation(d), GateConfig(metric="roc_auc"), higher_is_better=True) for d in simulated["no_signal"]
    ]
    rejected = sum(not d.passed for d in decisions)
    _report("no_signal through decide", Counter("rejected" if not d.passed else "passed" for d in decisions))
    assert rejected == sum(d.baseline is not None and d.baseline.verdict != "better" for d in decisions)
    assert rejected >= 0.95 * len(decisions)


def _evaluation(draw: dict[str, Any]) -> dict[str, Any]:
    figures = draw["figures"]
    return {
        "metrics": {draw["metric"]: figures["challenger"]},
        "champion_metrics": {draw["metric"]: figures["champion"]},
        "comparison": {
            "method": "paired bootstrap",
            "resamples": 2000,
            "confidence": 0.95,
            "seed": 0,
            "rows": draw["rows"],
            "rows_resampled": draw["rows"],
            "baseline": {"kind": "majority class", "value": "no", "source": "training data", "note": None},
            "metrics": {draw["metric"]: figures},
        },
    }


def test_a_big_test_set_is_resampled_from_a_subset_with_the_interval_rescaled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounded cost: above MAX_RESAMPLED_ROWS the interval comes from a subset, scaled by sqrt(subset / rows);
    its width must still be the full bootstrap's, and its centre the difference on every row."""
    import gate_comparison
    from paired_metrics import Outputs

    rng = np.random.default_rng(1)
    truth = rng.normal(size=4000)
    models = {
        "challenger": Outputs(truth, truth + rng.normal(0, 1.0, 4000)),
        "champion": Outputs(truth, truth + rng.normal(0, 1.1, 4000)),
        "baseline": Outputs(truth, np.zeros(4000)),
    }
    defined = {m: {"rmse", "mae", "r2"} for m in models}
    full = gate_comparison.compare("regression", models, defined, seed=3)
    monkeypatch.setattr(gate_comparison, "MAX_RESAMPLED_ROWS", 1000)
    subset = gate_comparison.compare("regression", models, defined, seed=3)
    assert (full["method"], subset["method"]) == ("paired bootstrap", "paired bootstrap on a subset, rescaled")
    assert subset["rows_resampled"] == 1000 and subset["rows"] == 4000
    for name in ("rmse", "mae", "r2"):
        whole, part = full["metrics"][name]["vs_champion"], subset["metrics"][name]["vs_champion"]
        assert part["difference"] == whole["difference"]
        width, part_width = whole["high"] - whole["low"], part["high"] - part["low"]
        assert part_width == pytest.approx(width, rel=0.2), name
        assert part["low"] < part["difference"] < part["high"]
