"""An independent pandas oracle of `simple_backtest` (examples/simple_backtest.flow).

Why it exists: the compiled engine, the reference interpreter and the hand-written numba
baseline are all held to numbers computed here, by code that shares nothing with them
(pandas and numpy only, no numba, no flowc imports) and is short enough to check by eye.

The strategy, as the example states it: hold `quantity` units while the `fast`-bar SMA of
the close is above the `slow`-bar SMA, none otherwise (long only: "below" and "equal" and
"not yet defined" all mean flat). An order decided at bar t's close fills at bar t+1's
open; commission is `commission_pct`% of the fill's notional; equity is cash plus the
position marked at each bar's close.

No look-ahead, by construction:

- the SMAs at bar t are `rolling(n).mean()` of closes up to and including bar t, so the
  target position decided at bar t uses only data known at bar t's close;
- the position held *during* bar t+1 is that target, `target.shift(1)`, and the trade that
  gets there is priced at `open[t+1]`, the first price after the decision;
- the target decided at the last bar has no next bar to fill on, so it never fills
  (the engine reports such an order as unfilled).
"""

from __future__ import annotations

from itertools import accumulate

import numpy as np
import pandas as pd


def simple_backtest_oracle(
    df: pd.DataFrame,
    fast: int,
    slow: int,
    quantity: float = 100,
    commission_pct: float = 0.1,
    cash: float = 1e6,
) -> dict:
    """Run the SMA crossover on `df` (columns open, close, in time order).

    Returns `final_equity`, `trades` (closed round trips), `fills`, `position` (at the end)
    and `equity` (a Series aligned with `df`, marked at each close).
    """
    close = df["close"].astype(float)
    fast_ma = close.rolling(fast).mean()
    slow_ma = close.rolling(slow).mean()

    # Decided at the close of bar t; NaN comparisons are False, so undefined means flat.
    target = np.where(fast_ma > slow_ma, float(quantity), 0.0)

    # Held during bar t: what was decided at t-1 (flat before the first decision).
    held = pd.Series(target, index=df.index).shift(1, fill_value=0.0)
    trade = held.diff().fillna(held)  # the fill at bar t's open that moves to `held[t]`

    open_ = df["open"].astype(float)
    fill_price = open_.where(trade != 0.0)
    commission = (commission_pct / 100) * trade.abs() * fill_price

    # Cash after bar t's fill, as the spec defines it: `cash -= q * price + commission`, one
    # subtraction per fill in order (a cumulative sum subtracted once would round differently).
    cash_flow = (trade * fill_price + commission).fillna(0.0)
    cash_t = pd.Series(list(accumulate(cash_flow, lambda c, flow: c - flow, initial=cash))[1:],
                       index=df.index)
    equity = cash_t + held * close

    # A round trip is one entry fill and one exit fill here (the position is 0 or +q).
    fills = int((trade != 0.0).sum())
    exits = int((trade < 0.0).sum())
    return {
        "final_equity": float(equity.iloc[-1]),
        "trades": exits,
        "fills": fills,
        "position": float(held.iloc[-1]),
        "equity": equity,
    }
