"""Classifier and strategy kernels (threshold_regime, crossover, mean_reversion, breakout, momentum).

Why this module exists: a strategy's direction and a classifier's regime are
computed here, one bar of one symbol per call, by the same code in the step
loop and in the hoisted prefix; the reference engine mirrors it exactly.
The protocol and the ring layout of windowed kernels are those of
`features`: `state` first (zero means fresh), then BAR fields, then the
arguments; NaN means undefined; windowed kernels are defined by their step
form, counters in and out. Directions are 1.0, -1.0 or 0.0.
"""

import numpy as np
from numba import njit

from .features import _RING, _push

# ---------------------------------------------------------------- stateless


@njit(cache=True, error_model="numpy", inline="always")
def threshold_regime_nb(state: np.ndarray, x: float, level: float) -> float:
    """Regime 1 where x >= level, 0 where below, NaN where x is undefined."""
    if np.isnan(x):
        return np.nan
    return 1.0 if x >= level else 0.0


@njit(cache=True, error_model="numpy", inline="always")
def crossover_nb(state: np.ndarray, a: float, b: float) -> float:
    """+1 while a > b, -1 while a < b, 0 when equal or either is undefined (never NaN)."""
    if a > b:
        return 1.0
    if a < b:
        return -1.0
    return 0.0


@njit(cache=True, error_model="numpy", inline="always")
def mean_reversion_nb(state: np.ndarray, x: float, low: float, high: float) -> float:
    """+1 where x < low, -1 where x > high (strict), else 0; NaN where x is undefined."""
    if np.isnan(x):
        return np.nan
    if x < low:
        return 1.0
    if x > high:
        return -1.0
    return 0.0


# ---------------------------------------------------------------- windowed


@njit(cache=True, error_model="numpy", inline="always")
def breakout_step(state: np.ndarray, pos: float, run: float, close: float, n: float) -> tuple[float, float, float]:
    """+1 where close > the max of the previous n closes, -1 where below their min, else 0.

    NaN for the first n bars, while a previous close in the window is NaN, or
    where the close itself is NaN. The ring holds the previous n closes.
    """
    k = int(n)
    if k < 1:
        return np.nan, pos, run
    defined = run >= k  # the previous k closes are all defined
    hi = 0.0
    lo = 0.0
    if defined:
        i0 = int(pos)
        hi = state[_RING + i0]
        lo = hi
        for i in range(1, k):
            v = state[_RING + (i0 + i) % k]
            if v > hi:
                hi = v
            if v < lo:
                lo = v
    _, pos, run = _push(state, pos, run, close, k)
    if not defined or np.isnan(close):
        return np.nan, pos, run
    if close > hi:
        return 1.0, pos, run
    if close < lo:
        return -1.0, pos, run
    return 0.0, pos, run


@njit(cache=True, error_model="numpy", inline="always")
def momentum_step(state: np.ndarray, pos: float, run: float, calls: float, x: float,
                  n: float) -> tuple[float, float, float, float]:
    """sign(x_t - x_{t-n}) over the symbol's calls; NaN until n earlier calls exist or if either is NaN.

    `calls` counts calls up to n.
    """
    k = int(n)
    if k < 1:
        return np.nan, pos, run, calls
    old, pos, run = _push(state, pos, run, x, k)
    if calls < k:
        return np.nan, pos, run, calls + 1  # an int where `calls` is (`Component.counts`)
    d = x - old
    if d > 0.0:
        return 1.0, pos, run, calls
    if d < 0.0:
        return -1.0, pos, run, calls
    if d == 0.0:
        return 0.0, pos, run, calls
    return np.nan, pos, run, calls


@njit(cache=True, error_model="numpy", inline="always")
def breakout_nb(state: np.ndarray, close: float, n: float) -> float:
    v, state[0], state[1] = breakout_step(state, state[0], state[1], close, n)
    return v


@njit(cache=True, error_model="numpy", inline="always")
def momentum_nb(state: np.ndarray, x: float, n: float) -> float:
    v, state[0], state[1], state[2] = momentum_step(state, state[0], state[1], state[2], x, n)
    return v


# ---------------------------------------------------------------- tables

KERNELS = {
    "threshold_regime": threshold_regime_nb,
    "crossover": crossover_nb,
    "mean_reversion": mean_reversion_nb,
    "breakout": breakout_nb,
    "momentum": momentum_nb,
}
