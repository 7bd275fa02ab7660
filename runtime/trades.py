"""Round-trip trades from a portfolio's fills (the spec's "a trade", section 8).

Why a module of its own: trades are derived after the run from the fill records alone, so
the step loop never carries trade bookkeeping, and every engine (compiled, hoisted, step by
step, reference) gets the same trades from the same fills.

The rules:

- A trade is a round trip per symbol, from leaving flat to returning flat; fills that add to
  or reduce the position stay within the trade.
- A fill that crosses zero (a reversal) is split in two: its closing part (`-position`
  before the fill) ends the current trade and its opening part (the position after it)
  starts the next. The closing part bears `commission * abs(closing q) / abs(q)` of the
  fill's commission, the opening part the rest.
- A trade's P&L is `sum((-q * price) * multiplier - commission)` over its fills (or parts) in
  fill order: the multiplier is 1.0 but for a futures contract (docs/semantics.md, 8b), whose
  price point is worth `multiplier` in cash. Its return is on the notional held,
  `pnl / ((entry_price * quantity) * multiplier)`.
- "Flat" means the position returns *exactly* to 0.0. Positions are the running sum of fill
  quantities, which are whole units in practice, so this is exact; fractional quantities
  that fail to cancel exactly leave the trade open.

Both results are aligned structured arrays (STYLE.md), ordered by the fill that opened
the trade. `OpenTrades` holds the trades still open after the last fill (at most one per
symbol), with `exit_step = -1` and `exit_price = return = NaN`. Their `pnl` is the part
already realised: `direction * (closed quantity * (mean closing price - entry_price))`
less every commission paid so far, measured against the trade's `entry_price` (the
quantity-weighted mean of its opening fills). Adding `position * (price - entry_price)`
gives the trade's P&L at a price; for a closed trade that formula equals its `pnl`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import numpy as np
from numba import njit

_F8 = np.float64
_I8 = np.int64

_TRADE_FIELDS = [
    ("symbol", _I8),
    ("direction", _I8),  # +1 long, -1 short
    ("entry_step", _I8),
    ("exit_step", _I8),  # -1 while open
    ("quantity", _F8),  # the largest absolute position held
    ("entry_price", _F8),  # quantity-weighted mean of the opening fills
    ("exit_price", _F8),  # quantity-weighted mean of the closing fills; NaN while open
    ("pnl", _F8),  # open trades: the realised part (module docstring)
    ("commission", _F8),
    ("return", _F8),  # pnl / (entry_price * quantity); NaN while open
]
TRADE_DTYPE = np.dtype(_TRADE_FIELDS, align=True)
OPEN_TRADE_DTYPE = np.dtype([*_TRADE_FIELDS, ("position", _F8)], align=True)  # signed, after the last fill

Trades: TypeAlias = np.ndarray  # structured, TRADE_DTYPE
OpenTrades: TypeAlias = np.ndarray  # structured, OPEN_TRADE_DTYPE


def build_trades(
    step: np.ndarray,
    symbol: np.ndarray,
    quantity: np.ndarray,
    price: np.ndarray,
    commission: np.ndarray,
    *,
    n_symbols: int,
    kernel: Callable | None = None,
    multiplier: np.ndarray | None = None,
) -> tuple[Trades, OpenTrades]:
    """The closed and the open round trips of one portfolio's fills, given in fill order.

    `kernel` is `trades_nb` (the default) or its interpreted form (`interpret.form`); `multiplier`
    `[n_symbols]` each symbol's (1.0 for every symbol when not given).
    """
    step, symbol, q, price, commission = _validated(step, symbol, quantity, price, commission, n_symbols)
    worth = np.ones(n_symbols) if multiplier is None else np.ascontiguousarray(multiplier, dtype=_F8)
    columns, is_closed, final_position = (kernel or trades_nb)(step, symbol, q, price, commission, n_symbols, worth)
    records = np.zeros(len(is_closed), dtype=OPEN_TRADE_DTYPE)
    for k, name in enumerate(TRADE_DTYPE.names):
        records[name] = columns[:, k]  # integer fields are whole floats, converted exactly
    open_trades = records[~is_closed]
    open_trades["position"] = final_position[open_trades["symbol"]]
    closed_trades = np.zeros(int(is_closed.sum()), dtype=TRADE_DTYPE)
    for name in TRADE_DTYPE.names:
        closed_trades[name] = records[name][is_closed]
    return closed_trades, open_trades


@njit(cache=True, error_model="numpy")
def trades_nb(step: np.ndarray, symbol: np.ndarray, q: np.ndarray, price: np.ndarray, commission: np.ndarray,
              n_symbols: int, multiplier: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every round trip of validated fills, in the order of the fill that opened it, in one pass.

    Returns the trades as float rows (columns in `TRADE_DTYPE` order), whether each is closed,
    and each symbol's position after its last fill. A fill is a leg, a reversal two legs (its
    closing part, then its opening part); each sum runs over the legs in fill order, so a
    sweep's metrics and a run's trade table agree to the bit.
    """
    n = len(q)
    rows = np.zeros((2 * n, 10))
    is_closed = np.zeros(2 * n, dtype=np.bool_)
    opened, opened_value = np.zeros(2 * n), np.zeros(2 * n)
    closed, closed_value = np.zeros(2 * n), np.zeros(2 * n)
    position = np.zeros(n_symbols)
    current = np.zeros(n_symbols, dtype=np.int64)  # the trade each symbol is in
    n_trades = 0
    for i in range(n):
        s = symbol[i]
        before = position[s]
        after = before + q[i]
        position[s] = after
        reversal = (before > 0.0 and after < 0.0) or (before < 0.0 and after > 0.0)  # closes at -before, opens
        legs = 2 if reversal else 1
        share = commission[i] * abs(before) / abs(q[i]) if reversal else commission[i]
        for leg in range(legs):
            if legs == 1:
                lq, lc, lbefore, lafter = q[i], commission[i], before, after
            elif leg == 0:
                lq, lc, lbefore, lafter = -before, share, before, 0.0
            else:
                lq, lc, lbefore, lafter = after, commission[i] - share, 0.0, after
            if lbefore == 0.0:  # leaving flat starts a trade
                current[s] = n_trades
                rows[n_trades, 0] = s
                rows[n_trades, 1] = 1.0 if lq > 0.0 else -1.0
                rows[n_trades, 2] = step[i]
                rows[n_trades, 3] = -1.0
                n_trades += 1
            k = current[s]
            rows[k, 7] += (-lq * price[i]) * multiplier[s] - lc
            rows[k, 8] += lc
            if (lq > 0.0) == (rows[k, 1] > 0.0):  # adds to the position
                opened[k] += abs(lq)
                opened_value[k] += abs(lq) * price[i]
            else:
                closed[k] += abs(lq)
                closed_value[k] += abs(lq) * price[i]
            rows[k, 4] = max(rows[k, 4], abs(lafter))
            if lafter == 0.0:
                rows[k, 3] = step[i]
                is_closed[k] = True
    for k in range(n_trades):
        m = multiplier[int(rows[k, 0])]
        entry = opened_value[k] / opened[k]
        rows[k, 5] = entry
        if is_closed[k]:
            rows[k, 6] = closed_value[k] / closed[k]
            rows[k, 9] = rows[k, 7] / ((entry * rows[k, 4]) * m)
        else:
            rows[k, 6] = np.nan
            rows[k, 7] = (rows[k, 1] * (closed_value[k] - closed[k] * entry)) * m - rows[k, 8] + 0.0  # no -0.0
            rows[k, 9] = np.nan
    return rows[:n_trades], is_closed[:n_trades], position


def _validated(step, symbol, quantity, price, commission, n_symbols):
    """Contiguous arrays (so that `trades_nb` is compiled once, for the layout `ledger_metrics_nb` calls it with)."""
    arrays = (
        np.ascontiguousarray(step, dtype=_I8),
        np.ascontiguousarray(symbol, dtype=_I8),
        np.ascontiguousarray(quantity, dtype=_F8),
        np.ascontiguousarray(price, dtype=_F8),
        np.ascontiguousarray(commission, dtype=_F8),
    )
    if any(a.ndim != 1 or len(a) != len(arrays[0]) for a in arrays):
        raise ValueError("fill fields must be 1-d arrays of one length")
    symbol, q = arrays[1], arrays[2]
    if len(symbol) and (symbol.min() < 0 or symbol.max() >= n_symbols):
        raise ValueError(f"fill symbol index outside 0..{n_symbols - 1}")
    if np.any(q == 0.0):
        raise ValueError("a fill with quantity 0")
    return arrays
