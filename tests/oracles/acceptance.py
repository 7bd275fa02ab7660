"""Independent oracles of the two acceptance examples of issue 14: `rsi_latch_atr` and `vol_target`.

Why it exists: `examples/rsi_latch_atr.flow` and `examples/vol_target.flow` are checked against
numbers computed here, from the issue's definitions alone, by code that shares nothing with
flowc (plain Python floats and loops, numpy only for `floor`, no flowc imports).
Every fill (step, quantity, price, commission) and the final equity must agree bit for bit,
so the arithmetic below is written in the order the definitions give it (`a + b + c` is
`(a + b) + c`), and the indicators follow docs/semantics.md section 5 literally.

Conventions (issue 14, "Acceptance cases"), one symbol, one bar per row of `df`:

- the decision at step t sees bar t and `E`, the equity at the end of step t-1 (cash0 at t = 0);
- a market order sent at step t fills at bar t+1's open; one sent at the last step never fills;
- an exit (stop) order sent at step t fills at step t at its own price, after the market order
  pending from t-1 (which fills first, at the open);
- commission `percent(0.1)`: `0.1 / 100.0 * abs(q) * price`; cash `cash = cash - (q * price +
  commission)` (one subtraction per fill, in fill order); no slippage; cash0 = 1,000,000;
- equity at the end of a step: `equity = cash`, then `equity = equity + position * close` when
  the position is not zero;
- the "book" is the sum of the orders *sent* (it moves when an order is sent, not when it fills).

Decisions where the definitions leave a choice (also in the report that came with this file):

1. Division follows flowc's expression rule (semantics.md section 3): `a / b` is NaN where
   `b == 0`, so a zero ATR (`(0.01 * E) / (2 * a)`), a zero volatility (`0.10 / v`) or a zero
   close makes the size undefined and nothing is sent that bar (not +inf, not w = 2.0). The
   unseen data sets never produce such a bar, so this choice is not exercised by the tests.
2. `min(2.0, x)` is flowc's `min` (section 5): NaN if either side is NaN, else `a if a <= b else b`.
3. rsi_latch_atr, before the first bar with `r < 30` or `r > 70`, has direction 0.0; the first
   bar where the size is defined (ATR defined) sizes that direction: `0.0 * floor(...) = 0.0`, so
   direction 0 is "remembered" with a held quantity of 0 and nothing is sent. This is section 6's
   "no remembered direction yet" rule; it changes no fill.
4. The stop is checked only while the book is non-zero, with the level fixed when the book last
   changed sign (from flat, or a reversal); adding to or reducing a position is impossible here
   (the size changes only with the direction), so the level is always the opening bar's.
5. A reversal whose new size rounds to 0 units leaves the book flat: no stop is set; the
   direction and the (zero) held quantity are remembered as sized.
6. vol_target's size is `floor((w * E) / close)`, `w = min(2.0, 0.10 / v)`, `v = stdev(returns
   (close), 20) * sqrt(252)`; an order is sent only on a new-month bar, only where v (hence the
   size) is defined, and only if `target - book != 0`. A new-month bar where v is undefined sends
   nothing and the next order waits for the next month's first bar (no catch-up mid-month).
   So the first order waits for the first month start where v is defined, even when v becomes
   defined mid-month: on the bundled sample v is first defined on 1999-02-02 and the first
   order is sent on 1999-03-01. (Section 6's sizing rule, "size when no direction is remembered
   yet", would size on 1999-02-02; the definition says no orders on other bars, and wins.)
7. Every row of `df` is a bar with all of open, high, low, close defined (the data sets used
   here have no gaps in the fields; missing days are simply absent rows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

NAN = float("nan")
CASH0 = 1_000_000.0
COMMISSION_PCT = 0.1


@dataclass
class Result:
    """What a run did: `fills` as (step, quantity, price, commission) in fill order, `orders` as
    (step, quantity, price) in send order (price NaN for a market order, the exit price for a
    stop), `equity` at the end of every step, and `final_equity`, the last of them."""

    fills: list[tuple[int, float, float, float]] = field(default_factory=list)
    orders: list[tuple[int, float, float]] = field(default_factory=list)
    equity: list[float] = field(default_factory=list)

    @property
    def final_equity(self) -> float:
        return self.equity[-1] if self.equity else CASH0


# ---- helpers with flowc's rules for undefined values (semantics.md sections 3 and 5) ----


def div(a: float, b: float) -> float:
    """`a / b`, NaN where `b == 0` (flowc's expression division; Python would raise)."""
    return NAN if b == 0 else a / b


def fmin(a: float, b: float) -> float:
    """flowc's `min`: NaN if either side is NaN, else `a if a <= b else b`."""
    return NAN if (math.isnan(a) or math.isnan(b)) else (a if a <= b else b)


def floor(x: float) -> float:
    """`floor` as a double (NaN and infinities pass through, unlike `math.floor`)."""
    return float(np.floor(x))


def sign(x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


# ---- indicators, exactly as semantics.md section 5 writes them ----


def rsi(x: list[float], n: int) -> list[float]:
    """Wilder's RSI: alpha = 1/n, the first difference seeds G and L, NaN while fewer than n
    differences, 100 when L == 0, else 100 - 100 / (1 + G / L)."""
    alpha = 1.0 / n
    out, prev, g, lo, count = [], None, 0.0, 0.0, 0
    for v in x:
        if math.isnan(v):
            out.append(NAN)
            continue
        if prev is None:
            prev = v
            out.append(NAN)
            continue
        d = v - prev
        prev = v
        gain = d if d > 0 else 0.0
        loss = -d if d < 0 else 0.0
        if count == 0:
            g, lo = gain, loss
        else:
            g = (1.0 - alpha) * g + alpha * gain
            lo = (1.0 - alpha) * lo + alpha * loss
        count += 1
        if count < n:
            out.append(NAN)
        elif lo == 0.0:
            out.append(100.0)
        else:
            out.append(100.0 - 100.0 / (1.0 + g / lo))
    return out


def atr(high: list[float], low: list[float], close: list[float], n: int) -> list[float]:
    """Wilder's ATR: the first bar only stores its close; each later bar's true range
    max(h - l, |h - pc|, |l - pc|) seeds A (first) or updates A = (1 - alpha) A + alpha tr;
    NaN for the first n bars (until n true ranges)."""
    alpha = 1.0 / n
    out, prev_close, a, count = [], None, 0.0, 0
    for h, lo, c in zip(high, low, close, strict=True):
        if prev_close is None:
            prev_close = c
            out.append(NAN)
            continue
        tr = max(h - lo, abs(h - prev_close), abs(lo - prev_close))
        prev_close = c
        a = tr if count == 0 else (1.0 - alpha) * a + alpha * tr
        count += 1
        out.append(a if count >= n else NAN)
    return out


def returns(x: list[float]) -> list[float]:
    """x_t / x_prev - 1.0 (flowc's division: NaN where x_prev == 0), NaN at the first bar."""
    return [NAN] + [div(x[t], x[t - 1]) - 1.0 for t in range(1, len(x))]


def stdev(x: list[float], n: int) -> list[float]:
    """Sample stdev of the last n inputs, NaN until n consecutive defined inputs end at t:
    m = (left-to-right sum) / n, ss = left-to-right sum of (v - m) * (v - m), sqrt(ss / (n - 1))."""
    out, run = [], 0
    for t, v in enumerate(x):
        run = 0 if math.isnan(v) else run + 1
        if run < n:
            out.append(NAN)
            continue
        window = x[t - n + 1: t + 1]
        s = 0.0
        for w in window:
            s = s + w
        m = s / n
        ss = 0.0
        for w in window:
            ss = ss + (w - m) * (w - m)
        out.append(math.sqrt(ss / (n - 1)))
    return out


# ---- the book-keeping both examples share: execution and portfolio ----


class Account:
    """Execution and portfolio of one symbol: a market order waits for the next open, an exit
    order fills at its own price on the bar it is sent, after the pending one."""

    def __init__(self, result: Result):
        self.result = result
        self.cash = CASH0
        self.position = 0.0
        self.pending: float | None = None  # a market order sent at the previous step
        self.equity = CASH0  # at the end of the previous step: what decisions see

    def step(self, t: int, o: float, c: float, market: float | None, exit_order: tuple[float, float] | None):
        fills = []
        if self.pending is not None:
            fills.append((self.pending, o))
        if exit_order is not None:
            fills.append(exit_order)
        self.pending = market
        for q, price in fills:
            commission = COMMISSION_PCT / 100.0 * abs(q) * price
            self.position = self.position + q
            self.cash = self.cash - (q * price + commission)
            self.result.fills.append((t, q, price, commission))
        equity = self.cash
        if self.position != 0:
            equity = equity + self.position * c
        self.equity = equity
        self.result.equity.append(equity)


def _columns(df: pd.DataFrame) -> tuple[list[float], ...]:
    return tuple([float(v) for v in df[name].to_numpy(dtype=float)] for name in ("open", "high", "low", "close"))


# ---- the two examples ----


def rsi_latch_atr(df: pd.DataFrame, n: int = 14) -> Result:
    """RSI direction latch, sized by ATR risk, with a fixed 2-ATR stop and today's exit latch.

    Direction: +1 where rsi < 30, -1 where rsi > 70, else the previous bar's (0 at first).
    When it differs from the direction last sized, size `direction * floor((0.01 * E) / (2 * a))`
    (skip the bar, remembering nothing, when that is undefined); otherwise the last sized
    quantity is the target. The order is `target - book`. An order that opens the book (from
    flat or by reversal) fixes the stop at `close -/+ 2 * a` of that bar; from the next bar on
    the open or the low (high) reaching it exits at the open or the stop, on that bar. After an
    exit the book stays flat until the direction differs from the one last sized (the latch);
    the latch is tested on the stop-out bar too, but that bar sends only the exit.
    """
    o_, h_, l_, c_ = _columns(df)
    r = rsi(c_, n)
    a = atr(h_, l_, c_, n)
    result = Result()
    account = Account(result)
    direction = 0.0
    book = 0.0
    sized: float | None = None  # the direction last sized (none yet)
    held = 0.0  # the quantity last sized
    latched = False
    stop = NAN
    for t in range(len(c_)):
        o, h, lo, c = o_[t], h_[t], l_[t], c_[t]
        E = account.equity

        # 1a. the stop, on the book as it stands before this step's decision
        exit_order = None
        if book > 0:
            px = o if o <= stop else (stop if lo <= stop else None)
        elif book < 0:
            px = o if o >= stop else (stop if h >= stop else None)
        else:
            px = None
        if px is not None:
            exit_order = (-book, px)
            result.orders.append((t, -book, px))
            book = 0.0
            latched = True

        # the direction latch of the signal (NaN comparisons are false: keep the previous one)
        if r[t] < 30:
            direction = 1.0
        elif r[t] > 70:
            direction = -1.0

        # the exit latch: released by any change from the direction last sized
        if latched and (sized is None or direction != sized):
            latched = False

        market = None
        if exit_order is None and not latched:
            ok = True
            if sized is None or direction != sized:
                q = direction * floor(div(0.01 * E, 2 * a[t]))
                if math.isnan(q):
                    ok = False  # nothing sent, nothing remembered: the next bar tries again
                else:
                    sized, held = direction, q
            if ok:
                order = held - book
                if order != 0:
                    before = book
                    book = book + order
                    market = order
                    result.orders.append((t, order, NAN))
                    if book != 0 and sign(book) != sign(before):
                        stop = c - 2 * a[t] if book > 0 else c + 2 * a[t]

        account.step(t, o, c, market, exit_order)
    return result


def new_month(index: pd.DatetimeIndex) -> list[bool]:
    """True on a bar whose (year, month) differs from the previous bar's; never the first bar."""
    ym = list(zip(index.year, index.month, strict=True))
    return [False] + [ym[t] != ym[t - 1] for t in range(1, len(ym))]


def vol_target(df: pd.DataFrame, n: int = 20, target_vol: float = 0.10, cap: float = 2.0) -> Result:
    """Monthly volatility targeting, always long.

    `v = stdev(returns(close), 20) * sqrt(252)`; on the first bar of each calendar month where v
    is defined, the target is `floor((w * E) / close)` units with `w = min(2.0, 0.10 / v)`, and
    the order is the target minus the units already ordered (the book). Nothing else is sent.
    """
    o_, _, _, c_ = _columns(df)
    v = [s * math.sqrt(252) for s in stdev(returns(c_), n)]
    starts = new_month(pd.DatetimeIndex(df.index))
    result = Result()
    account = Account(result)
    book = 0.0
    for t in range(len(c_)):
        o, c = o_[t], c_[t]
        E = account.equity
        market = None
        if starts[t] and not math.isnan(v[t]):
            w = fmin(cap, div(target_vol, v[t]))
            target = floor(div(w * E, c))
            if not math.isnan(target):
                order = target - book
                if order != 0:
                    book = book + order
                    market = order
                    result.orders.append((t, order, NAN))
        account.step(t, o, c, market, None)
    return result
