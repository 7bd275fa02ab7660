"""The windowed components: a window of the last n inputs and the run of defined ones ending now.

Implements `docs/semantics.md`, section 5: **Windowed** (`sma, stdev, zscore, highest, lowest`),
`momentum` and `breakout`, and the **Rolling** expression operators (`sum, rank, cov, corr`).
One object per call site and symbol; calling it is one bar. Windows arrive as floats, used as `int(n)`.
"""

from __future__ import annotations

import math

from flowc.runtime.reference.arithmetic import NAN, div, left_sum, sign


class Window:
    """The last n inputs of a call site (oldest first), and `run`: consecutive defined inputs ending now."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.run = 0

    def push(self, x: float, n: int) -> float:
        """Add x; return the input that left the window (the one n calls ago), NaN if none did."""
        self.values.append(x)
        left = self.values.pop(0) if len(self.values) > n else NAN
        self.run = self.run + 1 if x == x else 0
        return left

    def deviation(self, n: int) -> float:
        """Sample standard deviation (ddof 1) of a full, defined window, in two passes."""
        m = left_sum(self.values) / n
        ss = 0.0
        for v in self.values:
            ss = ss + (v - m) * (v - m)
        return math.sqrt(div(ss, n - 1))


class Sma(Window):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0.0

    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        return self.mean(x, self.push(x, w), w)

    def mean(self, x: float, left: float, n: int) -> float:
        """The running mean after a push: seeded by the window's sum, then `s + (x_t - x_old)`."""
        if self.run < n:
            return NAN
        self.total = left_sum(self.values) if self.run == n else self.total + (x - left)
        return self.total / n


class Stdev(Window):
    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        self.push(x, w)
        return self.deviation(w) if self.run >= w else NAN


class Zscore(Sma):
    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        mean = self.mean(x, self.push(x, w), w)
        if mean != mean:
            return NAN
        sd = self.deviation(w)
        return NAN if sd == 0.0 or sd != sd else (x - mean) / sd


class Highest(Window):
    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        self.push(x, w)
        return max(self.values) if self.run >= w else NAN


class Lowest(Window):
    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        self.push(x, w)
        return min(self.values) if self.run >= w else NAN


class Momentum(Window):
    def __call__(self, x: float, n: float) -> float:
        d = x - self.push(x, int(n))  # NaN until the input n calls ago exists, or if either is NaN
        return NAN if d != d else sign(d)


class Breakout(Window):
    def __call__(self, close: float, n: float) -> float:
        w = int(n)
        previous = list(self.values)
        self.push(close, w)
        if len(previous) < w or close != close or any(v != v for v in previous):
            return NAN
        return 1.0 if close > max(previous) else -1.0 if close < min(previous) else 0.0


class RollingSum(Sma):
    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        mean = self.mean(x, self.push(x, w), w)
        return NAN if mean != mean else self.total


class Rank(Window):
    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        self.push(x, w)
        if self.run < w:
            return NAN
        return len([v for v in self.values if v <= x]) / w


class Pairs:
    """The last n pairs and the run of calls where both are defined; covariance or correlation, two passes."""

    def __init__(self, correlate: bool) -> None:
        self.correlate = correlate
        self.pairs: list[tuple[float, float]] = []
        self.run = 0

    def __call__(self, a: float, b: float, n: float) -> float:
        w = int(n)
        self.pairs = [*self.pairs, (a, b)][-w:]
        self.run = self.run + 1 if a == a and b == b else 0
        if w < 2 or self.run < w:
            return NAN
        ma = left_sum([p[0] for p in self.pairs]) / w
        mb = left_sum([p[1] for p in self.pairs]) / w
        sxy = left_sum([(x - ma) * (y - mb) for x, y in self.pairs])
        if not self.correlate:
            return sxy / (w - 1)
        sxx = left_sum([(x - ma) * (x - ma) for x, _ in self.pairs])
        syy = left_sum([(y - mb) * (y - mb) for _, y in self.pairs])
        return NAN if sxx == 0.0 or syy == 0.0 else sxy / math.sqrt(sxx * syy)
