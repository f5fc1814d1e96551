"""The statistics behind the drift verdicts, with numpy and `math` only (no scipy).

The drift Lambda runs with numpy/pandas/pyarrow (the AWS SDK for pandas layer) and nothing else, so the
chi-square survival function and Holm's correction are written here; the unit tests check them against
scipy (`scipy.stats.chi2.sf`, `scipy.stats.chi2_contingency`, statsmodels-style Holm).

- `chi2_sf(x, dof)`: exact for integer degrees of freedom, by the recurrence
  Q(x; k + 2) = Q(x; k) + (x/2)^(k/2) e^(-x/2) / Γ(k/2 + 1), from Q(x; 1) = erfc(√(x/2)) or
  Q(x; 2) = e^(-x/2); each term is computed in log space, so large statistics and many bins neither
  overflow nor underflow to a wrong answer.
- `pool_rare`: the chi-square approximation needs about 5 expected counts per bin, so the rarest bins
  (by baseline share, never by the live counts, which would let the data choose its own test) are pooled.
- `chi_square`: two-sample (homogeneity) when the baseline's row count is known, so the baseline's own
  sampling noise is allowed for; goodness of fit against the baseline shares otherwise.
- `holm`: Holm's step-down adjustment, which keeps the family-wise error rate at any dependence between
  the tests (the features of one dataset are far from independent).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_EXPECTED = 5.0  # the usual rule for the chi-square approximation (Cochran)


@dataclass(frozen=True)
class TestResult:
    test: str  # "chi-square (two-sample)" | "chi-square (goodness of fit)"
    statistic: float
    dof: int
    p_value: float


def chi2_sf(x: float, dof: int) -> float:
    """P(X >= x) for X ~ chi-square with `dof` (a positive integer) degrees of freedom."""
    if dof < 1:
        raise ValueError(f"degrees of freedom must be a positive integer, not {dof}")
    if not x > 0:
        return 1.0
    half = x / 2
    total, k = (math.erfc(math.sqrt(half)), 1) if dof % 2 else (math.exp(-half), 2)
    log_half = math.log(half)
    while k < dof:
        total += math.exp((k / 2) * log_half - half - math.lgamma(k / 2 + 1))
        k += 2
    return min(1.0, total)


def pool_rare(shares: Sequence[float] | np.ndarray, size: float, min_expected: float = MIN_EXPECTED) -> np.ndarray:
    """Group index per bin: bins expecting fewer than `min_expected` of `size` rows share one group.

    The pooled group grows (rarest bins first) until it expects `min_expected` too; a bin the baseline
    never saw (share 0, e.g. an unseen category) is always pooled, so new values still count.
    """
    share = np.asarray(shares, dtype=float)
    groups = np.arange(len(share))
    order = np.argsort(share, kind="stable")
    pooled: list[int] = []
    total = 0.0
    for index in order:
        small = share[index] * size < min_expected
        if not small and (not pooled or total * size >= min_expected):
            break
        pooled.append(int(index))
        total += share[index]
    if len(pooled) > 1:
        groups[pooled] = pooled[0]
    _, dense = np.unique(groups, return_inverse=True)
    return np.asarray(dense)


def chi_square(live: Sequence[float], base_shares: Sequence[float], base_rows: int | None) -> TestResult:
    """Chi-square test of live bin counts against the baseline's shares of the same bins.

    `base_rows`: the baseline's row count; None (an old baseline without it) falls back to goodness of
    fit, which treats the baseline shares as exact and so raises drift a little more often.
    """
    counts = np.asarray(live, dtype=float)
    shares = np.asarray(base_shares, dtype=float)
    rows = float(counts.sum())
    size = rows if base_rows is None else min(rows, float(base_rows))
    groups = pool_rare(shares, size)
    counts = np.bincount(groups, weights=counts)
    shares = np.bincount(groups, weights=shares)
    if base_rows is None:
        expected = rows * shares
        keep = expected > 0
        statistic = float(np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep]))
        return _result("chi-square (goodness of fit)", statistic, int(keep.sum()) - 1)
    base = np.rint(shares * base_rows)
    table = np.vstack([counts, base])
    keep = table.sum(axis=0) > 0
    table = table[:, keep]
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / np.where(expected > 0, expected, 1.0)))
    return _result("chi-square (two-sample)", statistic, int(keep.sum()) - 1)


def _result(test: str, statistic: float, dof: int) -> TestResult:
    # One bin left (everything pooled): nothing can differ, so there is no evidence of drift.
    return TestResult(test, statistic, max(dof, 0), chi2_sf(statistic, dof) if dof >= 1 else 1.0)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values: reject where adjusted <= alpha keeps P(any false alarm) <= alpha."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if not m:
        return []
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return [float(value) for value in adjusted]
