"""The coarse bars of a container with a timeframe (docs/semantics.md, section 4a), one fine bar per call."""

from __future__ import annotations

import numpy as np
from numba import njit

from flowc.runtime.kernels.expressions import civil

EVERY, MINUTES, HOURLY, DAILY, WEEKLY, MONTHLY = range(6)  # `flowc.compiler.ir.TIMEFRAME_KINDS`, in order


@njit(cache=True, error_model="numpy", inline="always")
def period_nb(kind: int, n: int, time: float) -> float:
    """The calendar period of a timestamp in whole seconds (UTC): equal keys, same coarse bar."""
    year, month, _, days, _ = civil(time)
    if kind == MINUTES:
        return float(int(time) // (60 * n))
    if kind == HOURLY:
        return float(int(time) // 3600)
    if kind == DAILY:
        return float(days)
    if kind == WEEKLY:  # Monday to Sunday: the number of Mondays since 1970-01-05, floored
        return float((days + 3) // 7)
    return float(year * 12 + month)


@njit(cache=True, error_model="numpy")
def periods_nb(kind: int, n: int, times: np.ndarray) -> np.ndarray:
    """`period_nb` of every timestamp."""
    out = np.empty(len(times))
    for i in range(len(times)):
        out[i] = period_nb(kind, n, times[i])
    return out


@njit(cache=True, error_model="numpy", inline="always")
def coarse_bar_nb(state: np.ndarray, kind: int, n: int, time: float, o: float, h: float, low: float, c: float,
                  v: float) -> bool:
    """Add one bar of the symbol to the coarse bar being built; True where a coarse bar is seen at this step.

    State: [bars in the coarse bar being built, its period, open, high, low, close, volume, time of its last bar,
    then the last coarse bar finished: open, high, low, close, volume, time]. `every(n)` finishes a coarse bar
    with its n-th bar, seen at this bar's close; a calendar one finishes when a bar of a later period arrives, and
    is seen at that bar (before it, nothing says the period is over), which then starts the next one.
    """
    seen = False
    if kind != EVERY:
        key = period_nb(kind, n, time)
        if state[0] > 0.0 and key != state[1]:
            state[8:14] = state[2:8]
            state[0] = 0.0
            seen = True
        state[1] = key
    if state[0] == 0.0:
        state[2], state[3], state[4], state[5], state[6] = o, h, low, c, v
    else:
        state[3] = h if h > state[3] else state[3]
        state[4] = low if low < state[4] else state[4]
        state[5] = c
        state[6] = state[6] + v
    state[7] = time
    state[0] = state[0] + 1.0
    if kind == EVERY and state[0] == n:
        state[8:14] = state[2:8]
        state[0] = 0.0
        seen = True
    return seen
