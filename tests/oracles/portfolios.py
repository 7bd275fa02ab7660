"""Independent oracles of issue 15's multi-symbol portfolios: `rotation`, `rotation_cash`, `pairs`.

Why it exists: the examples `examples/rotation.flow`, `examples/rotation_cash.flow` and
`examples/pairs.flow` are held to numbers computed here from the issue's definitions alone, by
code that shares nothing with flowc (plain Python floats and loops, numpy only for `floor`, no
flowc imports). Every fill and order and the final equity must agree bit for bit, so the
arithmetic is written in the order the definitions and docs/semantics.md (sections 5-8) give it.

Common conventions (issue 15): cash0 1,000,000; commission `percent(0.1)`:
`0.1 / 100.0 * abs(q) * price`, `cash = cash - (q * price + commission)` (one subtraction per
fill, in fill order); market orders fill at the symbol's next open; the decision at step t sees
bar t and `E`, the equity at the end of step t-1 (cash0 at t = 0); equity at the end of a step
is `equity = cash`, then `equity = equity + position[s] * last_close[s]` for s in symbol order,
only where the position is not zero. Symbols are in the order of the `frames` mapping given
(`S0, S1, ..., S19` by index for the rotations, `SPX, NDX` for pairs).

Decisions where the definitions leave a choice (also in the report that came with this file):

1. The steps are the sorted union of the symbols' timestamps. The rotations require identical
   timestamps (a ValueError otherwise: momentum over "252 steps" is only defined then). Pairs
   accepts any: a symbol without a bar at a step has no close there, so the spread and z are
   NaN at that step (the zscore's run of defined inputs restarts, section 5) and the state is
   kept; a pending market order fills at the symbol's next bar's open. The bundled
   sp500.csv and nasdaq.csv have identical dates (5031 bars, 1999-01-04 to 2018-12-31), so
   this rule is not exercised on them.
2. Momentum is `close_t / close_{t-252} - 1.0` with flowc's division (NaN where the divisor is
   0). A NaN momentum never ranks among the top 5 (fewer than 5 get a non-zero target if fewer
   are defined). Ties are exact float equality, broken by lower symbol index.
3. A size that is not finite (`floor((w * E) / close)` with a NaN) sends nothing for that symbol
   and leaves its book unchanged; no data set here produces one.
4. rotation: "the units already ordered" is the risk book (the sum of orders sent, moved when an
   order is sent). An order is sent only if `target - book != 0`.
5. rotation_cash: the order is `target - position`, the portfolio's position at the end of step
   t-1 (the PORTFOLIO feedback: the fills of step t are not in it). Only a buy is cut; a sell
   (always reducing a long here) fills in full. A cut buy's remainder is dropped: recorded in
   `dropped` as (step, symbol, units), never filled, not "unfilled" at the end. `orders` holds
   the orders as sent (the full quantity).
6. Fill order within a step: rotation and pairs fill pending orders in symbol order (section 8);
   rotation_cash fills the sells first (symbol order), then the buys (symbol order), and the cash
   arithmetic follows that order. `fills` lists them in the order they happen.
7. pairs: `log` is C's natural log (`math.log`), NaN where x <= 0 or x is NaN. The targets are
   `state * floor((0.5 * E) / close_SPX)` and `-state * floor((0.5 * E) / close_NDX)` with
   `-state` evaluated first; "the units already ordered" is the book per symbol; an order is sent
   for each symbol where `target - book != 0`, SPX first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from .acceptance import CASH0, COMMISSION_PCT, NAN, div, floor, new_month, stdev

ROTATION_SYMBOLS = tuple(f"S{i}" for i in range(20))
PAIR_SYMBOLS = ("SPX", "NDX")


@dataclass
class Run:
    """What a run did. `fills`: (step, symbol, quantity, price, commission) in fill order;
    `orders`: (step, symbol, quantity, price) in send order (price NaN: a market order);
    `equity` and `cash` at the end of every step; `dropped`: (step, symbol, units) of buys
    cut for cash (rotation_cash only); `index`: the steps' timestamps."""

    symbols: tuple[str, ...]
    index: pd.DatetimeIndex
    fills: list[tuple[int, str, float, float, float]] = field(default_factory=list)
    orders: list[tuple[int, str, float, float]] = field(default_factory=list)
    equity: list[float] = field(default_factory=list)
    cash: list[float] = field(default_factory=list)
    dropped: list[tuple[int, str, float]] = field(default_factory=list)
    positions: dict[str, float] = field(default_factory=dict)

    @property
    def final_equity(self) -> float:
        return self.equity[-1] if self.equity else CASH0


# ---- data ----


def align(frames: Mapping[str, pd.DataFrame]) -> tuple[pd.DatetimeIndex, dict[str, dict[str, list[float]]]]:
    """The steps (sorted union of timestamps) and, per symbol, its open/high/low/close on the
    steps, NaN where the symbol has no bar."""
    index = pd.DatetimeIndex(sorted(set().union(*(set(f.index) for f in frames.values()))))
    cols = {}
    for s, f in frames.items():
        g = f.reindex(index)
        cols[s] = {c: [float(v) for v in g[c].to_numpy(dtype=float)] for c in ("open", "high", "low", "close")}
    return index, cols


def flog(x: float) -> float:
    """flowc's `log`: C's natural log, NaN where x <= 0 or x is NaN."""
    return NAN if (math.isnan(x) or x <= 0) else math.log(x)


# ---- indicators (semantics.md section 5) ----


def sma(x: list[float], n: int) -> list[float]:
    """The running mean: NaN while run < n; at run == n the window's left-to-right sum seeds S;
    later S = S + (x_t - x_old), x_old the input n calls ago. Output S / n."""
    out, run, s = [], 0, 0.0
    for t, v in enumerate(x):
        if math.isnan(v):
            run = 0
            out.append(NAN)
            continue
        run += 1
        if run < n:
            out.append(NAN)
            continue
        if run == n:
            s = 0.0
            for w in x[t - n + 1: t + 1]:
                s = s + w
        else:
            s = s + (v - x[t - n])
        out.append(s / n)
    return out


def zscore(x: list[float], n: int) -> list[float]:
    """(x - M) / sd with M the sma running mean and sd the stdev of the same window; NaN where
    M is NaN or sd is 0 or NaN."""
    m, sd = sma(x, n), stdev(x, n)
    return [NAN if (math.isnan(a) or math.isnan(b) or b == 0) else (v - a) / b
            for v, a, b in zip(x, m, sd, strict=True)]


# ---- the portfolio (section 8) ----


class Portfolio:
    def __init__(self, run: Run):
        self.run = run
        self.cash = CASH0
        self.position = dict.fromkeys(run.symbols, 0.0)
        self.last_close = dict.fromkeys(run.symbols, NAN)
        self.equity = CASH0  # at the end of the previous step: what decisions see

    def fill(self, t: int, s: str, q: float, price: float) -> None:
        commission = COMMISSION_PCT / 100.0 * abs(q) * price
        self.position[s] = self.position[s] + q
        self.cash = self.cash - (q * price + commission)
        self.run.fills.append((t, s, q, price, commission))

    def mark(self, closes: Mapping[str, float]) -> None:
        for s in self.run.symbols:
            if not math.isnan(closes[s]):
                self.last_close[s] = closes[s]
        equity = self.cash
        for s in self.run.symbols:
            if self.position[s] != 0:
                equity = equity + self.position[s] * self.last_close[s]
        self.equity = equity
        self.run.equity.append(equity)
        self.run.cash.append(self.cash)
        self.run.positions = dict(self.position)


def _closes(cols, t):
    return {s: c["close"][t] for s, c in cols.items()}


# ---- rotation and rotation_cash ----


def top_k(momentum: list[float], k: int) -> list[int]:
    """Indices of the k highest defined values, ties by lower index (NaN never chosen)."""
    ranked = sorted((i for i, m in enumerate(momentum) if not math.isnan(m)), key=lambda i: (-momentum[i], i))
    return ranked[:k]


def _rotation(frames: Mapping[str, pd.DataFrame], weight: float, cash_check: bool, lookback: int, k: int) -> Run:
    symbols = tuple(frames)
    stamps = [tuple(f.index) for f in frames.values()]
    if any(s != stamps[0] for s in stamps):
        raise ValueError("the rotations need identical timestamps for every symbol")
    index, cols = align(frames)
    starts = new_month(index)
    run = Run(symbols, index)
    pf = Portfolio(run)
    book = dict.fromkeys(symbols, 0.0)
    pending: dict[str, float] = {}
    for t in range(len(index)):
        E = pf.equity
        held = dict(pf.position)  # the position at the end of step t-1
        # fills at this open
        due = [(s, pending.pop(s)) for s in symbols if s in pending]
        if cash_check:
            due = [x for x in due if x[1] < 0] + [x for x in due if x[1] > 0]
        for s, q in due:
            price = cols[s]["open"][t]
            if cash_check and q > 0:
                n = floor(div(pf.cash, price * 1.001))
                f = q if q <= n else n
                if not f > 0:
                    run.dropped.append((t, s, q))
                    continue
                if f < q:
                    run.dropped.append((t, s, q - f))
                q = f
            pf.fill(t, s, q, price)
        # the decision at the close
        if t >= lookback and starts[t]:
            mom = [div(cols[s]["close"][t], cols[s]["close"][t - lookback]) - 1.0 for s in symbols]
            chosen = set(top_k(mom, k))
            for i, s in enumerate(symbols):
                target = floor(div(weight * E, cols[s]["close"][t])) if i in chosen else 0.0
                if math.isnan(target) or math.isinf(target):
                    continue
                order = target - (held[s] if cash_check else book[s])
                if order != 0:
                    book[s] = book[s] + order
                    pending[s] = pending.get(s, 0.0) + order
                    if pending[s] == 0.0:
                        del pending[s]
                    run.orders.append((t, s, order, NAN))
        pf.mark(_closes(cols, t))
    return run


def rotation(frames: Mapping[str, pd.DataFrame], lookback: int = 252, k: int = 5, weight: float = 0.2) -> Run:
    """Monthly momentum rotation: on the first bar of each month at step t >= 252, the 5 symbols
    with the highest `close_t / close_{t-252} - 1` get `floor((0.2 * E) / close)` units, the
    others 0; each order is the target minus the units already ordered; no cash check."""
    return _rotation(frames, weight, False, lookback, k)


def rotation_cash(frames: Mapping[str, pd.DataFrame], lookback: int = 252, k: int = 5, weight: float = 0.25) -> Run:
    """As `rotation` with `floor((0.25 * E) / close)` for each of the top 5 (125 % of equity),
    orders against the position at the end of step t-1, and a cash check at each open: sells
    first, then buys cut to `floor(cash / (P * 1.001))` units, the rest dropped."""
    return _rotation(frames, weight, True, lookback, k)


# ---- pairs ----


def pair_state(z: list[float], entry: float = 2.0) -> list[float]:
    """+1 where z < -2, -1 where z > 2, 0 where the previous state was +1 and z >= 0 or -1 and
    z <= 0, else the previous state (0 at the start); the first rule that holds, in that order.
    NaN z: every comparison is false, the state is kept."""
    out, state = [], 0.0
    for v in z:
        if v < -entry:
            state = 1.0
        elif v > entry:
            state = -1.0
        elif (state == 1.0 and v >= 0) or (state == -1.0 and v <= 0):
            state = 0.0
        out.append(state)
    return out


def spread(frames: Mapping[str, pd.DataFrame]) -> tuple[pd.DatetimeIndex, list[float]]:
    """log(close@SPX) - log(close@NDX) on the steps (NaN where either has no bar)."""
    index, cols = align(frames)
    a, b = cols["SPX"]["close"], cols["NDX"]["close"]
    return index, [flog(x) - flog(y) for x, y in zip(a, b, strict=True)]


def pairs(frames: Mapping[str, pd.DataFrame], n: int = 60, entry: float = 2.0, weight: float = 0.5) -> Run:
    """The SPX/NDX log-spread z-score state machine; on a change of state at step t the targets
    are `state * floor((0.5 * E) / close_SPX)` and `-state * floor((0.5 * E) / close_NDX)`,
    each order the target minus the units already ordered in that symbol."""
    frames = {s: frames[s] for s in PAIR_SYMBOLS}
    index, cols = align(frames)
    _, x = spread(frames)
    state = pair_state(zscore(x, n), entry)
    run = Run(PAIR_SYMBOLS, index)
    pf = Portfolio(run)
    book = dict.fromkeys(PAIR_SYMBOLS, 0.0)
    pending: dict[str, float] = {}
    previous = 0.0
    for t in range(len(index)):
        E = pf.equity
        for s in PAIR_SYMBOLS:
            if s in pending and not math.isnan(cols[s]["open"][t]):
                pf.fill(t, s, pending.pop(s), cols[s]["open"][t])
        if state[t] != previous:
            d = state[t]
            targets = {"SPX": d * floor(div(weight * E, cols["SPX"]["close"][t])),
                       "NDX": -d * floor(div(weight * E, cols["NDX"]["close"][t]))}
            for s in PAIR_SYMBOLS:
                target = targets[s]
                if math.isnan(target) or math.isinf(target):
                    continue
                order = target - book[s]
                if order != 0:
                    book[s] = book[s] + order
                    pending[s] = pending.get(s, 0.0) + order
                    if pending[s] == 0.0:
                        del pending[s]
                    run.orders.append((t, s, order, NAN))
        previous = state[t]
        pf.mark(_closes(cols, t))
    return run
