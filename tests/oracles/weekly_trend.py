"""Independent oracle of `examples/weekly_trend.flow`: a daily EMA crossover traded only while the
weekly close is above its 10-week average, the weeks built from the daily bars.

Why it exists: the example is where two timeframes meet, the place peers get wrong by one bar
("the higher timeframe shifted one candle"). This file computes the run from the definition alone,
in plain Python floats and loops, without flowc: `test_weekly_trend.py` holds every fill and the
equity of every step of `flowc run`, both engines, to it bit for bit, on the bundled sample and on
data it was not written against.

Definition (the example's settings; docs/semantics.md, sections 3 to 8 for the arithmetic):

- Weeks are ISO weeks (Monday to Sunday) of the bars' dates. A week's bar is open of its first day,
  close of its last; it is **seen** at the first bar of a later week, never at its own last bar
  (nothing says a Friday was the week's last day). The last week of the data is never seen.
- `week_close` is the close of the latest week seen, `week_ma` the running mean of the closes of the
  last 10 weeks seen (undefined before 10). Before the first week is seen the strategy does not run.
- `fast_ma = ema(close, 10)`, `slow_ma = ema(close, 40)`: `alpha = 2 / (n + 1)`, the first close
  seeds `y`, then `y = (1 - alpha) * y + alpha * close`; undefined for the first `n - 1` closes.
- The direction is 1 where `week_close > week_ma` and `fast_ma > slow_ma` (a comparison with an
  undefined value is false), else 0. When it changes (and at the first step the strategy runs) the
  target is `d * floor((0.5 * E) / close)`, `E` the equity at the end of the step before (the cash at
  the first step); the order is the target minus the units ordered so far, sent at the close and
  filled at the next bar's open, commission 0.1 % of the traded value.
- Cash 1,000,000; equity at the end of a step is the cash plus the position at the close.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

NAN = math.nan
CASH0 = 1_000_000.0


@dataclass
class WeeklyRun:
    """`fills` (step, quantity, price, commission) in fill order; `equity` at the end of every step;
    `weeks` (step seen, close, 10-week mean) of each week's bar, as it was seen."""

    fills: list[tuple[int, float, float, float]] = field(default_factory=list)
    equity: list[float] = field(default_factory=list)
    weeks: list[tuple[int, float, float]] = field(default_factory=list)

    @property
    def final_equity(self) -> float:
        return self.equity[-1] if self.equity else CASH0


def ema(values: list[float], n: int) -> list[float]:
    alpha = 2.0 / (n + 1.0)
    out, y = [], NAN
    for k, x in enumerate(values):
        y = x if k == 0 else (1.0 - alpha) * y + alpha * x
        out.append(y if k >= n - 1 else NAN)
    return out


class RunningMean:
    """The mean of the last `n` values pushed: the first full window summed left to right, then
    moved by `+ (new - oldest)` (the order of operations fixes the bits)."""

    def __init__(self, n: int):
        self.n, self.window, self.total = n, [], 0.0

    def push(self, x: float) -> float:
        self.window.append(x)
        if len(self.window) < self.n:
            return NAN
        if len(self.window) == self.n:
            self.total = 0.0
            for v in self.window:
                self.total = self.total + v
        else:
            self.total = self.total + (x - self.window.pop(0))
        return self.total / self.n


def weekly_trend(df: pd.DataFrame, weeks: int = 10, fast: int = 10, slow: int = 40, percent: float = 50.0,
                 commission_pct: float = 0.1) -> WeeklyRun:
    opens, closes = df["open"].tolist(), df["close"].tolist()
    iso = [(d.isocalendar()[0], d.isocalendar()[1]) for d in df.index]
    fast_ma, slow_ma = ema(closes, fast), ema(closes, slow)
    mean = RunningMean(weeks)
    run = WeeklyRun()
    cash, position, ordered, pending = CASH0, 0.0, 0.0, 0.0
    week_close = week_ma = NAN
    seen_any = False
    remembered: float | None = None
    equity_before = CASH0
    for t, (o, c) in enumerate(zip(opens, closes, strict=True)):
        if pending != 0.0:  # the order of the step before, at this open
            fee = commission_pct / 100.0 * abs(pending) * o
            position = position + pending
            cash = cash - (pending * o + fee)
            run.fills.append((t, pending, o, fee))
            pending = 0.0
        if t > 0 and iso[t] != iso[t - 1]:  # the week before ended with the bar before: seen now
            week_close = closes[t - 1]
            week_ma = mean.push(week_close)
            seen_any = True
            run.weeks.append((t, week_close, week_ma))
        if seen_any:
            up = (week_close > week_ma) and (fast_ma[t] > slow_ma[t])
            d = 1.0 if up else 0.0
            if remembered is None or d != remembered:
                target = d * math.floor(((percent / 100.0) * equity_before) / c)
                remembered = d
                order = target - ordered
                if order != 0.0:
                    ordered = ordered + order
                    pending = order
        equity = cash + position * c if position != 0.0 else cash
        run.equity.append(equity)
        equity_before = equity
    return run
