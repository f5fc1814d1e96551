"""An always-valid test of the difference in mean outcome between two variants (challenger - champion).

Method: the mixture sequential probability ratio test (mSPRT) with a normal mixing distribution N(0, tau^2)
on the effect, as in Johari, Pekelis & Walsh, "Always valid inference: bringing sequential analysis to A/B
testing" (arXiv:1512.04922; Johari, Koomen, Pekelis & Walsh, Operations Research 70(3), 2022). Inverting it
gives the two-sided normal-mixture confidence sequence of Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform,
nonparametric, nonasymptotic confidence sequences" (Annals of Statistics 49(2), 2021). The variances are
estimated from the data, which makes it the asymptotic confidence sequence of Waudby-Smith, Arbour, Sinha,
Kennedy & Ramdas, "Time-uniform central limit theory and asymptotic confidence sequences" (Annals of
Statistics 52(6), 2024): valid once each arm has enough rows for its mean to be close to normal, hence the
minimum sample size before any decision.

With theta = mean(challenger) - mean(champion) and V = s_champion^2 / n_champion + s_challenger^2 / n_challenger:

    log Lambda = 1/2 log(V / (V + tau^2)) + tau^2 theta^2 / (2 V (V + tau^2))    p = min over looks of 1/Lambda
    half width = sqrt(V (V + tau^2) / tau^2 * (log((V + tau^2) / V) + 2 log(1/alpha)))

and the interval is the running intersection of theta +- half width over every look. 0 leaves the interval
exactly when p drops to alpha, so the two never disagree. No well-kept Python library offers this for numpy
arrays (confseq needs a C++ build with Boost and targets bounded outcomes), so these formulas are written here
and checked by simulation in tests/unit/experiment. Only numpy: the experiment Lambda has no scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Looks:
    """The test at each look (arrays of equal length); bounds and p-value are running (always valid)."""

    n_champion: npt.NDArray[np.int64]
    n_challenger: npt.NDArray[np.int64]
    estimate: Floats
    lower: Floats
    upper: Floats
    p_value: Floats
    mean_champion: Floats | None = None  # each arm's mean outcome so far (for the report's outcome over time)
    mean_challenger: Floats | None = None

    def __len__(self) -> int:
        return len(self.estimate)


def mixture_test(
    n_a: npt.ArrayLike,
    mean_a: npt.ArrayLike,
    var_a: npt.ArrayLike,
    n_b: npt.ArrayLike,
    mean_b: npt.ArrayLike,
    var_b: npt.ArrayLike,
    *,
    tau: float,
    alpha: float,
) -> tuple[Floats, Floats, Floats]:
    """Estimate, half width and p-value of mean_b - mean_a at each look taken alone (not yet running).

    Arguments broadcast, so one call evaluates many simulated experiments at many looks.
    """
    n_a, n_b = np.asarray(n_a, dtype=float), np.asarray(n_b, dtype=float)
    estimate = np.asarray(mean_b, dtype=float) - np.asarray(mean_a, dtype=float)
    # A variant whose outcomes are all equal so far has no spread; the floor keeps the ratio finite.
    variance = np.asarray(var_a, dtype=float) / n_a + np.asarray(var_b, dtype=float) / n_b
    variance = np.maximum(variance, np.finfo(float).tiny)
    tau2 = tau * tau
    total = variance + tau2
    log_ratio = 0.5 * np.log(variance / total) + tau2 * estimate**2 / (2 * variance * total)
    p_value = np.exp(-np.maximum(log_ratio, 0.0))
    half_width = np.sqrt(variance * total / tau2 * (np.log(total / variance) + 2 * np.log(1 / alpha)))
    return estimate, half_width, p_value


def running(estimate: Floats, half_width: Floats, p_value: Floats) -> tuple[Floats, Floats, Floats]:
    """Running intersection of the intervals and running minimum of the p-value along the last axis."""
    lower = np.maximum.accumulate(estimate - half_width, axis=-1)
    upper = np.minimum.accumulate(estimate + half_width, axis=-1)
    return lower, upper, np.minimum.accumulate(p_value, axis=-1)


def sequential_comparison(
    champion: Floats,
    challenger: Floats,
    *,
    champion_order: Floats | None = None,
    challenger_order: Floats | None = None,
    tau: float,
    alpha: float,
    min_samples: int,
) -> Looks:
    """The test after every observation once both variants have `min_samples`, in arrival order.

    `*_order` are arrival keys (e.g. epoch seconds of the feedback); without them each array is in arrival
    order and the two arms interleave by position. Looking after every row is allowed: the test is
    time-uniform, and it makes the result depend on the data only, not on when anyone looked.
    """
    values = np.concatenate([champion, challenger]).astype(float)
    arm = np.concatenate([np.zeros(len(champion), bool), np.ones(len(challenger), bool)])
    keys = np.concatenate(
        [
            _positions(champion, champion_order),
            _positions(challenger, challenger_order),
        ]
    )
    order = np.argsort(keys, kind="stable")
    values, arm = values[order], arm[order]
    # Shifting by the overall mean keeps the running sums of squares precise for large errors.
    centre = values.mean() if len(values) else 0.0
    centred = values - centre
    stats = [_running_moments(centred, arm == side) for side in (False, True)]
    (n_a, mean_a, var_a), (n_b, mean_b, var_b) = stats
    ready = (n_a >= min_samples) & (n_b >= min_samples)
    estimate, half_width, p_value = mixture_test(
        n_a[ready], mean_a[ready], var_a[ready], n_b[ready], mean_b[ready], var_b[ready], tau=tau, alpha=alpha
    )
    lower, upper, p_running = running(estimate, half_width, p_value)
    return Looks(
        n_a[ready], n_b[ready], estimate, lower, upper, p_running, mean_a[ready] + centre, mean_b[ready] + centre
    )


def _positions(values: Floats, order: Floats | None) -> Floats:
    if order is None:
        return np.arange(len(values), dtype=float) / max(len(values), 1)
    if len(order) != len(values):
        raise ValueError(f"{len(order)} arrival keys for {len(values)} outcomes")
    return np.asarray(order, dtype=float)


def _running_moments(values: Floats, mask: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int64], Floats, Floats]:
    """Count, mean and unbiased variance of the masked values up to each position."""
    count = np.cumsum(mask, dtype=np.int64)
    total = np.cumsum(np.where(mask, values, 0.0))
    squares = np.cumsum(np.where(mask, values * values, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / count
        variance = np.maximum(squares - total * mean, 0.0) / (count - 1)
    return count, mean, variance
