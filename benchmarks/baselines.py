"""Hand-written baselines for `simple_backtest`: the floor flowc's generated code is measured against.

`sma_crossover_nb` is what an expert would write by hand for this one strategy: a single
`@njit` loop over open/close arrays with running-sum SMAs (the normative `sma` recipe of the
language spec), the position, the cash, next-open fills and percent commission, allocating
nothing in the loop but its output array. A compiled topology cannot beat it by much, so the
benchmarks report flowc's time as a ratio against it.

`sma_crossover_python` runs the very same source in the CPython interpreter (over lists, the
fastest plain-Python form); it exists only as the "pure Python loop" benchmark baseline.

Both must reproduce `tests/oracles/sma_pandas.py` (tested in `tests/oracles/test_oracle.py`).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit
def sma_crossover_nb(open_, close, fast, slow, quantity, commission_pct, cash):
    """Hold `quantity` units while sma(close, fast) > sma(close, slow), none otherwise.

    An order decided at bar t's close fills at bar t+1's open; the order pending after the
    last bar never fills. Returns (final equity, closed trades, fills, equity at each close).
    """
    n = len(close)
    equity = np.empty(n)
    fast_sum = 0.0
    slow_sum = 0.0
    position = 0.0
    pending = 0.0
    trades = 0
    fills = 0
    rate = commission_pct / 100
    for t in range(n):
        # Fill the order sent at t-1 at this bar's open, before deciding anything new.
        if pending != 0.0:
            price = open_[t]
            commission = rate * abs(pending) * price
            cash -= pending * price + commission
            position += pending
            pending = 0.0
            fills += 1
            if position == 0.0:
                trades += 1
        # Running sums: the left-to-right sum of the first n closes, then s += x[t] - x[t-n].
        fast_sum += close[t] - close[t - fast] if t >= fast else close[t]
        slow_sum += close[t] - close[t - slow] if t >= slow else close[t]
        target = 0.0
        if t >= fast - 1 and t >= slow - 1 and fast_sum / fast > slow_sum / slow:
            target = quantity
        pending = target - position
        equity[t] = cash + position * close[t]
    final = equity[n - 1] if n > 0 else cash
    return final, trades, fills, equity


def sma_crossover_python(open_, close, fast, slow, quantity=100.0, commission_pct=0.1, cash=1e6):
    """The same loop, interpreted by CPython over lists: the pure-Python baseline, for benchmarks only."""
    return sma_crossover_nb.py_func(
        np.asarray(open_, dtype=np.float64).tolist(), np.asarray(close, dtype=np.float64).tolist(),
        fast, slow, float(quantity), float(commission_pct), float(cash),
    )
