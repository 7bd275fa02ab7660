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


@njit(cache=True)
def sma_crossover_ledger_nb(open_, close, fast, slow, quantity, commission_pct, cash, orders, fills):
    """`sma_crossover_nb` that also records what flowc's ledger holds, for one symbol.

    Besides the equity at each close: the cash at each close, whether a position is held, the
    peak and drawdown of the equity (which a risk container's `max_drawdown` reads), and every
    order `(step, quantity)` and fill `(step, quantity, price, commission)` in the tables
    `orders` and `fills`. Room is checked once per step; when the tables are full the function
    returns early with `complete = False`, and `sma_crossover_ledger` calls it again with
    tables twice as large. Returns (complete, final equity, closed trades, orders recorded,
    fills recorded, equity, cash, exposed, last drawdown).
    """
    n = len(close)
    equity = np.empty(n)
    cash_at = np.empty(n)
    exposed = np.zeros(n, dtype=np.bool_)
    fast_sum = 0.0
    slow_sum = 0.0
    position = 0.0
    pending = 0.0
    peak = cash
    drawdown = 0.0
    trades = 0
    n_orders = 0
    n_fills = 0
    rate = commission_pct / 100
    for t in range(n):
        if n_orders + 1 > orders.shape[0] or n_fills + 1 > fills.shape[0]:
            return False, 0.0, 0, n_orders, n_fills, equity, cash_at, exposed, drawdown
        if pending != 0.0:
            price = open_[t]
            commission = rate * abs(pending) * price
            cash -= pending * price + commission
            position += pending
            fills[n_fills, 0] = t
            fills[n_fills, 1] = pending
            fills[n_fills, 2] = price
            fills[n_fills, 3] = commission
            n_fills += 1
            pending = 0.0
            if position == 0.0:
                trades += 1
        fast_sum += close[t] - close[t - fast] if t >= fast else close[t]
        slow_sum += close[t] - close[t - slow] if t >= slow else close[t]
        target = 0.0
        if t >= fast - 1 and t >= slow - 1 and fast_sum / fast > slow_sum / slow:
            target = quantity
        pending = target - position
        if pending != 0.0:
            orders[n_orders, 0] = t
            orders[n_orders, 1] = pending
            n_orders += 1
        value = cash + position * close[t]
        if value > peak:
            peak = value
        drawdown = 1.0 - value / peak
        equity[t] = value
        cash_at[t] = cash
        exposed[t] = position != 0.0
    final = equity[n - 1] if n > 0 else cash
    return True, final, trades, n_orders, n_fills, equity, cash_at, exposed, drawdown


def sma_crossover_ledger(open_, close, fast, slow, quantity=100.0, commission_pct=0.1, cash=1e6):
    """Run `sma_crossover_ledger_nb` with room for a record every 16 bars, more if that is short."""
    room = len(close) // 16 + 1024
    while True:
        orders, fills = np.zeros((room, 2)), np.zeros((room, 4))
        out = sma_crossover_ledger_nb(open_, close, fast, slow, quantity, commission_pct, cash, orders, fills)
        if out[0]:
            return out[1:], orders[: out[3]], fills[: out[4]]
        room *= 2
