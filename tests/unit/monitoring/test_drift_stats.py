"""The hand-written statistics (the drift Lambda has no scipy) against scipy's."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats as scipy_stats

from slipstream.monitoring.stats import chi2_sf, chi_square, holm, pool_rare


@pytest.mark.parametrize("dof", [1, 2, 3, 4, 9, 10, 29, 30, 101, 500])
def test_chi2_sf_matches_scipy_for_integer_degrees_of_freedom(dof) -> None:
    for x in [1e-6, 0.1, 0.5 * dof, dof, 2 * dof, dof + 10 * np.sqrt(2 * dof), 10 * dof + 50]:
        expected = scipy_stats.chi2.sf(x, dof)
        assert chi2_sf(x, dof) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_chi2_sf_edges() -> None:
    assert chi2_sf(0.0, 3) == 1.0 and chi2_sf(-1.0, 3) == 1.0
    assert chi2_sf(1e6, 5) == 0.0
    assert chi2_sf(2500.0, 2000) == pytest.approx(scipy_stats.chi2.sf(2500.0, 2000), rel=1e-8)
    with pytest.raises(ValueError, match="degrees of freedom"):
        chi2_sf(1.0, 0)


def test_two_sample_chi_square_matches_scipys_contingency_test() -> None:
    live = np.array([30, 25, 20, 15, 10])
    base = np.array([400, 300, 150, 100, 50])
    result = chi_square(live, base / base.sum(), int(base.sum()))
    statistic, p, dof, _ = scipy_stats.chi2_contingency(np.vstack([live, base]), correction=False)
    assert (result.test, result.dof) == ("chi-square (two-sample)", dof)
    assert result.statistic == pytest.approx(statistic) and result.p_value == pytest.approx(p)


def test_goodness_of_fit_matches_scipy_chisquare() -> None:
    live = np.array([30, 25, 20, 15, 10])
    shares = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    result = chi_square(live, shares, None)
    statistic, p = scipy_stats.chisquare(live, shares * live.sum())
    assert result.test == "chi-square (goodness of fit)" and result.dof == 4
    assert result.statistic == pytest.approx(statistic) and result.p_value == pytest.approx(p)


def test_rare_bins_are_pooled_by_baseline_share_and_an_unseen_bin_always_is() -> None:
    # 100 rows: 0.01 and 0.03 expect 1 and 3 rows; with the unseen bin that is 4, so the next smallest joins.
    groups = pool_rare([0.5, 0.3, 0.16, 0.03, 0.01, 0.0], 100)
    assert len(set(groups)) == 3 and groups[2] == groups[3] == groups[4] == groups[5]
    groups = pool_rare([0.5, 0.3, 0.14, 0.03, 0.02, 0.01, 0.0], 100)  # 3 + 2 + 1 rows: enough together
    assert len(set(groups)) == 4 and groups[3] == groups[4] == groups[5] == groups[6] != groups[2]
    groups = pool_rare([0.5, 0.3, 0.2, 0.0], 1000)  # only the unseen bin is rare: it joins the next smallest
    assert len(set(groups)) == 3 and groups[2] == groups[3]
    assert len(set(pool_rare([0.6, 0.4], 1000))) == 2  # nothing rare, nothing pooled
    everything = chi_square([2, 1], [0.98, 0.02], 100)  # 3 rows: one pooled bin, nothing to compare
    assert everything.dof == 0 and everything.p_value == 1.0


def test_unseen_values_count_as_drift_when_there_are_many() -> None:
    live = [400, 300, 100, 200]  # 20% of the window in a category training never saw
    result = chi_square(live, [0.5, 0.3, 0.2, 0.0], 1000)
    assert result.dof == 2 and result.p_value < 1e-6  # pooled with the rarest known category, still clear


def test_holm_matches_the_step_down_definition() -> None:
    p = [0.01, 0.04, 0.03, 0.005, 0.5]
    # sorted: 0.005*5=0.025, 0.01*4=0.04, 0.03*3=0.09, 0.04*2=0.08 -> 0.09 (monotone), 0.5*1=0.5
    assert holm(p) == pytest.approx([0.04, 0.09, 0.09, 0.025, 0.5])
    assert holm([]) == [] and holm([0.9, 0.8]) == pytest.approx([1.0, 1.0])


def test_the_drift_lambdas_code_path_runs_without_scipy(repo_root) -> None:
    """The drift Lambda's layer has numpy/pandas/pyarrow only: importing scipy anywhere on its path would fail
    there, so it must fail here too (None in sys.modules makes `import scipy` raise ImportError)."""
    script = (
        "import sys; sys.modules['scipy'] = None; sys.modules['sklearn'] = None\n"
        "import numpy as np, pandas as pd\n"
        "import lambdas.drift.logic\n"
        "from slipstream.monitoring.figures import Settings, version_drift\n"
        "from slipstream.monitoring.traffic import Traffic\n"
        "base = {'row_count': 1000, 'features': {'x': {'kind': 'numeric', 'bin_edges': [float('-inf'), 0.0,"
        " float('inf')], 'proportions': [0.5, 0.5], 'null_rate': 0.0}},"
        " 'target': {'kind': 'labels', 'label_distribution': {'a': 0.5, 'b': 0.5}}}\n"
        "x = np.random.default_rng(0).normal(1, 1, 500)\n"
        "meta = pd.DataFrame({'variant': 'champion', 'model_version': '1', 'prediction': ['a', 'b'] * 250})\n"
        "v = version_drift(Traffic(pd.DataFrame({'x': x}), meta), '1', base, Settings())\n"
        "assert v.drifted == ['x'] and not v.prediction_drifted, v\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=repo_root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
