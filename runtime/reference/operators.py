"""The stateless components and the expression operators with a small state (lags, events and state).

Implements `docs/semantics.md`, section 5: `threshold_regime, crossover, mean_reversion` from
**Other**, and the **Expression operators**: the stateless ones, **Lags** (`shift, diff, pct_change`)
and **Events and state** (`cross_above, cross_below, hold, bar_index`). The rolling ones are in
`windowed`, the calendar in `calendar_fields`.
"""

from __future__ import annotations

import math

from flowc.runtime.reference.arithmetic import NAN, div, truthy


def threshold_regime(x: float, level: float) -> float:
    return NAN if x != x else 1.0 if x >= level else 0.0


def crossover(a: float, b: float) -> float:
    return 1.0 if a > b else -1.0 if a < b else 0.0


def mean_reversion(x: float, low: float, high: float) -> float:
    return NAN if x != x else 1.0 if x < low else -1.0 if x > high else 0.0


def op_log(x: float) -> float:
    return math.log(x) if x > 0.0 else NAN


def op_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:  # numpy's exp gives inf
        return math.inf


def op_sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else NAN


def op_abs(x: float) -> float:
    return abs(x)


def op_sign(x: float) -> float:
    return NAN if x != x else 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


def op_min(a: float, b: float) -> float:
    return NAN if a != a or b != b else a if a <= b else b


def op_max(a: float, b: float) -> float:
    return NAN if a != a or b != b else a if a >= b else b


def op_clip(x: float, low: float, high: float) -> float:
    return op_min(op_max(x, low), high)


def op_where(cond: float, a: float, b: float) -> float:
    return a if truthy(cond) else b


class Shift:
    """The input n calls ago, undefined ones included; NaN while it does not exist."""

    def __init__(self) -> None:
        self.history: list[float] = []

    def lagged(self, x: float, n: float) -> float:
        self.history.append(x)
        w = int(n)
        if len(self.history) > w + 1:
            self.history.pop(0)
        return self.history[0] if len(self.history) == w + 1 else NAN

    def __call__(self, x: float, n: float) -> float:
        return self.lagged(x, n)


class Diff(Shift):
    def __call__(self, x: float, n: float) -> float:
        return x - self.lagged(x, n)


class PctChange(Shift):
    def __call__(self, x: float, n: float) -> float:
        return div(x, self.lagged(x, n)) - 1.0


class Cross:
    """1.0 on the call where `a` passes `b` (above or below), against the previous call's values."""

    def __init__(self, above: bool) -> None:
        self.above = above
        self.previous: tuple[float, float] | None = None

    def __call__(self, a: float, b: float) -> float:
        previous, self.previous = self.previous, (a, b)
        if previous is None:
            return 0.0
        pa, pb = previous
        crossed = (pa <= pb and a > b) if self.above else (pa >= pb and a < b)  # false with any NaN
        return 1.0 if crossed else 0.0


class Hold:
    def __init__(self) -> None:
        self.direction = 0.0

    def __call__(self, long: float, short: float, flat: float) -> float:
        if truthy(flat):
            self.direction = 0.0
        elif truthy(long):
            self.direction = 1.0
        elif truthy(short):
            self.direction = -1.0
        return self.direction


class BarIndex:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, close: float) -> float:
        self.calls += 1
        return float(self.calls - 1)
