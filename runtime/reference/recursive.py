"""The recursive components, whose state is the previous output or input: `returns, ema, rsi, atr`.

Implements `docs/semantics.md`, section 5: **Recursive** (`ema, rsi, atr`) and `returns` from **Other**.
One object per call site and symbol; calling it is one bar.
"""

from __future__ import annotations

from flowc.runtime.reference.arithmetic import NAN, div


class Returns:
    def __init__(self) -> None:
        self.previous: float | None = None

    def __call__(self, x: float) -> float:
        previous, self.previous = self.previous, x
        return NAN if previous is None else div(x, previous) - 1.0


class Ema:
    def __init__(self) -> None:
        self.count = 0  # defined inputs seen
        self.y = NAN

    def __call__(self, x: float, n: float) -> float:
        if x != x:
            return NAN
        w = int(n)
        alpha = div(2.0, w + 1.0)
        self.count += 1
        self.y = x if self.count == 1 else (1.0 - alpha) * self.y + alpha * x
        return self.y if self.count >= w else NAN


class Rsi:
    def __init__(self) -> None:
        self.previous: float | None = None
        self.diffs = 0
        self.gain = self.loss = NAN

    def __call__(self, x: float, n: float) -> float:
        if x != x:
            return NAN
        w = int(n)
        if self.previous is None:
            self.previous = x
            return NAN
        d = x - self.previous
        self.previous = x
        gain = d if d > 0 else 0.0
        loss = -d if d < 0 else 0.0
        self.diffs += 1
        if self.diffs == 1:
            self.gain, self.loss = gain, loss
        else:
            alpha = div(1.0, w)
            self.gain = (1.0 - alpha) * self.gain + alpha * gain
            self.loss = (1.0 - alpha) * self.loss + alpha * loss
        if self.diffs < w:
            return NAN
        return 100.0 if self.loss == 0.0 else 100.0 - 100.0 / (1.0 + self.gain / self.loss)


class Atr:
    def __init__(self) -> None:
        self.previous_close: float | None = None
        self.count = 0  # true ranges seen
        self.average = NAN

    def __call__(self, high: float, low: float, close: float, n: float) -> float:
        if high != high or low != low or close != close:
            return NAN
        w = int(n)
        if self.previous_close is None:
            self.previous_close = close
            return NAN
        tr = max(high - low, abs(high - self.previous_close), abs(low - self.previous_close))
        self.previous_close = close
        self.count += 1
        if self.count == 1:
            self.average = tr
        else:
            alpha = div(1.0, w)
            self.average = (1.0 - alpha) * self.average + alpha * tr
        return self.average if self.count >= w else NAN
