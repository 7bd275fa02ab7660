"""Independent oracle of issue 16's `limit_entry`: a good-till-cancelled limit buy entry and a
market exit, on one symbol (SPX).

Why it exists: `examples/limit_entry.flow` is held to the numbers computed here from the issue's
definition alone (plain Python floats and loops, no flowc imports); every fill, every order and
the final equity must agree bit for bit.

Definition (issue 16): cash 1,000,000, commission `percent(0.1)` (`0.1 / 100.0 * abs(q) * price`,
`cash = cash - (q * price + commission)`), equity at the end of a step `cash`, plus
`position * close` where the position is not zero.

- `sig = close > sma(close, 50)` (false while the average is undefined); direction 1 where
  `sig`, else 0; 0 before the first bar.
- When the direction changes to 1 at step t: a limit buy of 100 units at `0.99 * close_t`, good
  till cancelled. On each later bar while it works: if the open is at or below the limit it
  fills at the open, else if the low reaches the limit (`low <= limit`) it fills at the limit.
- When the direction changes to 0 at step t: a market order of -100. If the limit buy has not
  filled by then (bars up to and including t), the two net to zero: the limit is cancelled and
  nothing fills. Otherwise the -100 fills at the next bar's open.
- Within a step, a pending market order fills at the open before a working limit is checked; a
  decision at the close of bar t comes after bar t's fills.

Decisions where the definition leaves a choice (also in the report that came with this file):

1. `orders` lists every order as sent, (step, quantity, price): the limit buy as
   `(t, 100.0, limit)`, the market sell as `(t, -100.0, NaN)`, the latter also when it cancels a
   working limit (it was sent; the two then net to zero). `cancelled` lists (step of the sell,
   step of the limit) for those.
2. The limit is checked from the bar after the one it is sent on (never on its own bar: the
   decision is at that bar's close). The limit price is `0.99 * close_t`, unrounded.
3. A limit or a market sell still working after the last bar never fills; nothing else happens
   to it (`working` at the end says whether a limit was left working).
4. The bar's fields are the row's; every row has open, high, low and close defined.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .acceptance import CASH0, COMMISSION_PCT, NAN, _columns
from .portfolios import sma


@dataclass
class LimitRun:
    """`fills` (step, quantity, price, commission) in fill order; `orders` (step, quantity, price)
    in send order; `equity` at the end of every step; `cancelled` (sell step, limit step)."""

    fills: list[tuple[int, float, float, float]] = field(default_factory=list)
    orders: list[tuple[int, float, float]] = field(default_factory=list)
    equity: list[float] = field(default_factory=list)
    cancelled: list[tuple[int, int]] = field(default_factory=list)
    working: bool = False
    pending_sell: bool = False

    @property
    def final_equity(self) -> float:
        return self.equity[-1] if self.equity else CASH0


def signal(close: list[float], n: int = 50) -> list[float]:
    """1.0 where close > sma(close, n) (a comparison with NaN is false), else 0.0."""
    return [1.0 if c > m else 0.0 for c, m in zip(close, sma(close, n), strict=True)]


def limit_entry(df: pd.DataFrame, n: int = 50, units: float = 100.0, discount: float = 0.99) -> LimitRun:
    """The limit-entry strategy on one symbol's bars (one row per bar)."""
    o_, _, l_, c_ = _columns(df)
    direction = signal(c_, n)
    run = LimitRun()
    cash, position = CASH0, 0.0
    limit: tuple[int, float] | None = None  # (step sent, price) of the working limit buy
    sell = False  # a market sell pending from the previous step
    previous = 0.0

    def fill(t: int, q: float, price: float) -> None:
        nonlocal cash, position
        commission = COMMISSION_PCT / 100.0 * abs(q) * price
        position = position + q
        cash = cash - (q * price + commission)
        run.fills.append((t, q, price, commission))

    for t in range(len(c_)):
        o, lo, c = o_[t], l_[t], c_[t]
        if sell:
            fill(t, -units, o)
            sell = False
        if limit is not None:
            price = limit[1]
            if o <= price:
                fill(t, units, o)
                limit = None
            elif lo <= price:
                fill(t, units, price)
                limit = None
        d = direction[t]
        if d != previous:
            if d == 1.0:
                price = discount * c
                limit = (t, price)
                run.orders.append((t, units, price))
            else:
                run.orders.append((t, -units, NAN))
                if limit is not None:
                    run.cancelled.append((t, limit[0]))
                    limit = None
                else:
                    sell = True
        previous = d
        equity = cash
        if position != 0:
            equity = equity + position * c
        run.equity.append(equity)
    run.working = limit is not None
    run.pending_sell = sell
    return run
