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
- A trade's P&L is `sum(-q * price - commission)` over its fills (or parts) in fill order.
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

from typing import TypeAlias

import numpy as np

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
) -> tuple[Trades, OpenTrades]:
    """The closed and the open round trips of one portfolio's fills, given in fill order."""
    step, symbol, q, price, commission = _validated(step, symbol, quantity, price, commission, n_symbols)

    # 1. The position of the fill's symbol before and after each fill (`pos += q`, in order).
    before, after = np.zeros_like(q), np.empty_like(q)
    by_symbol = _groups(symbol)
    for fills in by_symbol:
        after[fills] = np.cumsum(q[fills])
        before[fills[1:]] = after[fills[:-1]]

    # 2. Legs: one per fill, two per reversal (its closing part, then its opening part).
    reversal = np.sign(before) * np.sign(after) < 0
    fill = np.repeat(np.arange(len(q)), np.where(reversal, 2, 1))
    closing = np.flatnonzero(np.diff(fill, prepend=-1) == 1)[reversal]  # first leg of each reversal
    opening = closing + 1
    leg_q, leg_c = q[fill], commission[fill]
    leg_before, leg_after = before[fill], after[fill]
    leg_q[closing], leg_q[opening] = -before[reversal], after[reversal]
    closing_share = commission[reversal] * np.abs(before[reversal]) / np.abs(q[reversal])
    leg_c[closing], leg_c[opening] = closing_share, commission[reversal] - closing_share
    leg_after[closing], leg_before[opening] = 0.0, 0.0
    leg_price, leg_step, leg_symbol = price[fill], step[fill], symbol[fill]

    # 3. Which trade each leg belongs to: the latest trade its symbol started (ids in fill order).
    starts, ends = leg_before == 0.0, leg_after == 0.0
    trade = np.where(starts, np.cumsum(starts) - 1, -1)
    for legs in _groups(leg_symbol):
        trade[legs] = np.maximum.accumulate(trade[legs])
    n_trades = int(starts.sum())

    # 4. Aggregate the legs per trade (np.add.at accumulates in leg order, i.e. fill order).
    direction = np.sign(leg_q[starts]).astype(_I8)
    adds = np.sign(leg_q) == direction[trade]
    pnl = _sum_per_trade(trade, -leg_q * leg_price - leg_c, n_trades)
    paid = _sum_per_trade(trade, leg_c, n_trades)
    opened = _sum_per_trade(trade, np.where(adds, np.abs(leg_q), 0.0), n_trades)
    opened_value = _sum_per_trade(trade, np.where(adds, np.abs(leg_q) * leg_price, 0.0), n_trades)
    closed = _sum_per_trade(trade, np.where(adds, 0.0, np.abs(leg_q)), n_trades)
    closed_value = _sum_per_trade(trade, np.where(adds, 0.0, np.abs(leg_q) * leg_price), n_trades)
    largest = np.zeros(n_trades)
    np.maximum.at(largest, trade, np.abs(leg_after))
    exit_step = np.full(n_trades, -1, dtype=_I8)
    exit_step[trade[ends]] = leg_step[ends]

    records = np.zeros(n_trades, dtype=OPEN_TRADE_DTYPE)
    records["symbol"] = leg_symbol[starts]
    records["direction"] = direction
    records["entry_step"] = leg_step[starts]
    records["exit_step"] = exit_step
    records["quantity"] = largest
    records["entry_price"] = opened_value / opened
    records["commission"] = paid
    is_closed = exit_step >= 0
    with np.errstate(invalid="ignore", divide="ignore"):
        records["exit_price"] = np.where(is_closed, closed_value / closed, np.nan)
        realised = direction * (closed_value - closed * records["entry_price"]) - paid + 0.0  # no -0.0
    records["pnl"] = np.where(is_closed, pnl, realised)
    records["return"] = np.where(is_closed, records["pnl"] / (records["entry_price"] * largest), np.nan)

    final_position = np.zeros(n_symbols)
    for fills in by_symbol:
        final_position[symbol[fills[-1]]] = after[fills[-1]]
    open_trades = records[~is_closed]
    open_trades["position"] = final_position[open_trades["symbol"]]
    closed_trades = np.zeros(int(is_closed.sum()), dtype=TRADE_DTYPE)
    for name in TRADE_DTYPE.names:
        closed_trades[name] = records[name][is_closed]
    return closed_trades, open_trades


def _validated(step, symbol, quantity, price, commission, n_symbols):
    arrays = (
        np.asarray(step, dtype=_I8),
        np.asarray(symbol, dtype=_I8),
        np.asarray(quantity, dtype=_F8),
        np.asarray(price, dtype=_F8),
        np.asarray(commission, dtype=_F8),
    )
    if any(a.ndim != 1 or len(a) != len(arrays[0]) for a in arrays):
        raise ValueError("fill fields must be 1-d arrays of one length")
    symbol, q = arrays[1], arrays[2]
    if len(symbol) and (symbol.min() < 0 or symbol.max() >= n_symbols):
        raise ValueError(f"fill symbol index outside 0..{n_symbols - 1}")
    if np.any(q == 0.0):
        raise ValueError("a fill with quantity 0")
    return arrays


def _groups(keys: np.ndarray) -> list[np.ndarray]:
    """Indices of `keys` grouped by value, each group in its original (fill) order."""
    order = np.argsort(keys, kind="stable")
    boundaries = np.flatnonzero(np.diff(keys[order])) + 1
    return [group for group in np.split(order, boundaries) if len(group)]


def _sum_per_trade(trade: np.ndarray, values: np.ndarray, n_trades: int) -> np.ndarray:
    total = np.zeros(n_trades)
    np.add.at(total, trade, values)
    return total
