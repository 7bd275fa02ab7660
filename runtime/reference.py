"""The plain-Python reference engine: the oracle the compiled engine is tested against.

Why it exists: the compiled engine (generated numba code, hoisting, a static schedule) is fast
but hard to read, so it is checked bit for bit against this one, written for clarity from the
run semantics (`docs/semantics.md`, spec sections 4, 6, 8 and 8a) and sharing no kernel code
with it. Everything here is a plain loop over steps, containers in schedule order and symbols,
with events as small dicts; every component is re-implemented from its recipe with the same
floating-point operations in the same order (running sums oldest first, no `sum()` or numpy
reductions), so that agreement means bit-identical results rather than "close enough".

`run_reference(analysis, market, params)` fills the same `Ledger` as the compiled engine.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from flowc.compiler.components import series_component
from flowc.compiler.graph import Edge, FlowGraph
from flowc.compiler.ir import (
    Apply,
    BinOp,
    BoundContainer,
    BoundGuard,
    Expr,
    Input,
    InputKey,
    Local,
    Replay,
    RiskConfig,
    Slot,
    SymbolIs,
    UnOp,
    walk,
)
from flowc.compiler.workflow import Analysis
from flowc.runtime.components import kernel_of
from flowc.runtime.data import MarketData, source_symbols
from flowc.runtime.ledger import FILL_DTYPE, ORDER_DTYPE, UNFILLED_DTYPE, Ledger

NAN = math.nan
BAR_FIELDS = ("open", "high", "low", "close", "volume")

Record = dict[str, float]  # one event: its fields
Emitted = list[list[Record]]  # what one container emitted at one step, per symbol (empty: absent)


# ---- arithmetic ---------------------------------------------------------------------------


def _div(a: float, b: float) -> float:
    """IEEE division, as numpy does it (Python raises on a zero divisor): x/0 = ±inf, 0/0 = NaN."""
    if b != 0.0 or b != b:
        return a / b
    if a != a or a == 0.0:
        return NAN
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _sum(values: Sequence[float]) -> float:
    """Left-to-right sum, oldest first (never `sum()` or `math.fsum`: the rounding must match)."""
    total = 0.0
    for v in values:
        total = total + v
    return total


def _truthy(v: float) -> bool:
    """A value is true iff it is defined and not zero."""
    return v == v and v != 0.0


def _sign(v: float) -> float:
    """1.0, -1.0 or 0.0; 0.0 for NaN (an undefined signal means flat)."""
    return 1.0 if v > 0.0 else -1.0 if v < 0.0 else 0.0


def _floor(v: float) -> float:
    return float(math.floor(v)) if math.isfinite(v) else v


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}


def _binop(op: str, a: float, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return NAN if b == 0.0 else a / b
    if op == "and":
        return 1.0 if _truthy(a) and _truthy(b) else 0.0
    if op == "or":
        return 1.0 if _truthy(a) or _truthy(b) else 0.0
    if a != a or b != b:  # a comparison with an undefined operand is false, `!=` included
        return 0.0
    return 1.0 if _COMPARE[op](a, b) else 0.0


# ---- components ---------------------------------------------------------------------------
# One object per call site and symbol; calling it is one bar of the component. Window and
# number arguments arrive as floats (parameter slots); windows are `int(n)`.


class _Window:
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
        m = _sum(self.values) / n
        ss = 0.0
        for v in self.values:
            ss = ss + (v - m) * (v - m)
        return math.sqrt(_div(ss, n - 1))


class _Sma(_Window):
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
        self.total = _sum(self.values) if self.run == n else self.total + (x - left)
        return self.total / n


class _Stdev(_Window):
    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        self.push(x, w)
        return self.deviation(w) if self.run >= w else NAN


class _Zscore(_Sma):
    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        mean = self.mean(x, self.push(x, w), w)
        if mean != mean:
            return NAN
        sd = self.deviation(w)
        return NAN if sd == 0.0 or sd != sd else (x - mean) / sd


class _Highest(_Window):
    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        self.push(x, w)
        return max(self.values) if self.run >= w else NAN


class _Lowest(_Window):
    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        self.push(x, w)
        return min(self.values) if self.run >= w else NAN


class _Momentum(_Window):
    def __call__(self, x: float, n: float) -> float:
        d = x - self.push(x, int(n))  # NaN until the input n calls ago exists, or if either is NaN
        return NAN if d != d else _sign(d)


class _Breakout(_Window):
    def __call__(self, close: float, n: float) -> float:
        w = int(n)
        previous = list(self.values)
        self.push(close, w)
        if len(previous) < w or close != close or any(v != v for v in previous):
            return NAN
        return 1.0 if close > max(previous) else -1.0 if close < min(previous) else 0.0


class _Returns:
    def __init__(self) -> None:
        self.previous: float | None = None

    def __call__(self, x: float) -> float:
        previous, self.previous = self.previous, x
        return NAN if previous is None else _div(x, previous) - 1.0


class _Ema:
    def __init__(self) -> None:
        self.count = 0  # defined inputs seen
        self.y = NAN

    def __call__(self, x: float, n: float) -> float:
        if x != x:
            return NAN
        w = int(n)
        alpha = _div(2.0, w + 1.0)
        self.count += 1
        self.y = x if self.count == 1 else (1.0 - alpha) * self.y + alpha * x
        return self.y if self.count >= w else NAN


class _Rsi:
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
            alpha = _div(1.0, w)
            self.gain = (1.0 - alpha) * self.gain + alpha * gain
            self.loss = (1.0 - alpha) * self.loss + alpha * loss
        if self.diffs < w:
            return NAN
        return 100.0 if self.loss == 0.0 else 100.0 - 100.0 / (1.0 + self.gain / self.loss)


class _Atr:
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
            alpha = _div(1.0, w)
            self.average = (1.0 - alpha) * self.average + alpha * tr
        return self.average if self.count >= w else NAN


def _threshold_regime(x: float, level: float) -> float:
    return NAN if x != x else 1.0 if x >= level else 0.0


def _crossover(a: float, b: float) -> float:
    return 1.0 if a > b else -1.0 if a < b else 0.0


def _mean_reversion(x: float, low: float, high: float) -> float:
    return NAN if x != x else 1.0 if x < low else -1.0 if x > high else 0.0


# ---- expression operators (docs/semantics.md, section 5) ----


def _log(x: float) -> float:
    return math.log(x) if x > 0.0 else NAN


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:  # numpy's exp gives inf
        return math.inf


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else NAN


def _abs(x: float) -> float:
    return abs(x)


def _signum(x: float) -> float:
    return NAN if x != x else 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


def _min(a: float, b: float) -> float:
    return NAN if a != a or b != b else a if a <= b else b


def _max(a: float, b: float) -> float:
    return NAN if a != a or b != b else a if a >= b else b


def _clip(x: float, low: float, high: float) -> float:
    return _min(_max(x, low), high)


def _where(cond: float, a: float, b: float) -> float:
    return a if _truthy(cond) else b


class _Shift:
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


class _Diff(_Shift):
    def __call__(self, x: float, n: float) -> float:
        return x - self.lagged(x, n)


class _PctChange(_Shift):
    def __call__(self, x: float, n: float) -> float:
        return _div(x, self.lagged(x, n)) - 1.0


class _RollingSum(_Sma):
    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        mean = self.mean(x, self.push(x, w), w)
        return NAN if mean != mean else self.total


class _Rank(_Window):
    def __call__(self, x: float, n: float) -> float:
        w = int(n)
        self.push(x, w)
        if self.run < w:
            return NAN
        return len([v for v in self.values if v <= x]) / w


class _Pairs:
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
        ma = _sum([p[0] for p in self.pairs]) / w
        mb = _sum([p[1] for p in self.pairs]) / w
        sxy = _sum([(x - ma) * (y - mb) for x, y in self.pairs])
        if not self.correlate:
            return sxy / (w - 1)
        sxx = _sum([(x - ma) * (x - ma) for x, _ in self.pairs])
        syy = _sum([(y - mb) * (y - mb) for _, y in self.pairs])
        return NAN if sxx == 0.0 or syy == 0.0 else sxy / math.sqrt(sxx * syy)


class _Cross:
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


class _Hold:
    def __init__(self) -> None:
        self.direction = 0.0

    def __call__(self, long: float, short: float, flat: float) -> float:
        if _truthy(flat):
            self.direction = 0.0
        elif _truthy(long):
            self.direction = 1.0
        elif _truthy(short):
            self.direction = -1.0
        return self.direction


class _BarIndex:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, close: float) -> float:
        self.calls += 1
        return float(self.calls - 1)


# ---- calendar fields: from Python's own calendar (`datetime`), not the kernels' integer arithmetic ----

_EPOCH = datetime.datetime(1970, 1, 1)


def _seconds(stamp: np.datetime64) -> float:
    """A step's timestamp in whole seconds since 1970-01-01, floored (the `time` field of BAR here)."""
    if not isinstance(stamp, np.datetime64):  # plain integers (tests): nanoseconds
        stamp = np.datetime64(int(stamp), "ns")
    microseconds = int(np.datetime64(stamp, "us").astype(np.int64))
    return float(microseconds // 1_000_000)


def _when(seconds: float) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(seconds=int(seconds))


_FIELDS: dict[str, Callable[[datetime.datetime], float]] = {
    "year": lambda d: float(d.year), "month": lambda d: float(d.month), "day": lambda d: float(d.day),
    "weekday": lambda d: float(d.weekday()), "hour": lambda d: float(d.hour), "minute": lambda d: float(d.minute),
}
_PERIODS: dict[str, Callable[[datetime.datetime], object]] = {
    "day": lambda d: d.date(), "week": lambda d: tuple(d.isocalendar())[:2], "month": lambda d: (d.year, d.month),
    "year": lambda d: d.year,
}


class _NewPeriod:
    """1.0 where the bar's period differs from the previous call's, 0.0 at the first call."""

    def __init__(self, period: str) -> None:
        self.key = _PERIODS[period]
        self.previous: object = None

    def __call__(self, time: float) -> float:
        key = self.key(_when(time))
        previous, self.previous = self.previous, key
        return 1.0 if previous is not None and key != previous else 0.0


Component = Callable[..., float]

COMPONENTS: dict[str, Callable[[], Component]] = {
    "sma": _Sma, "ema": _Ema, "rsi": _Rsi, "stdev": _Stdev, "returns": _Returns, "atr": _Atr,
    "zscore": _Zscore, "highest": _Highest, "lowest": _Lowest, "momentum": _Momentum,
    "breakout": _Breakout,
    "threshold_regime": lambda: _threshold_regime,
    "crossover": lambda: _crossover,
    "mean_reversion": lambda: _mean_reversion,
    "shift": _Shift, "diff": _Diff, "pct_change": _PctChange,
    "log": lambda: _log, "exp": lambda: _exp, "sqrt": lambda: _sqrt, "abs": lambda: _abs, "sign": lambda: _signum,
    "min": lambda: _min, "max": lambda: _max, "clip": lambda: _clip, "where": lambda: _where,
    "sum": _RollingSum, "rank": _Rank, "cov": lambda: _Pairs(False), "corr": lambda: _Pairs(True),
    "cross_above": lambda: _Cross(True), "cross_below": lambda: _Cross(False), "hold": _Hold,
    "bar_index": _BarIndex,
    **{name: (lambda f=f: lambda time: f(_when(time))) for name, f in _FIELDS.items()},
    **{f"new_{period}": (lambda p=period: _NewPeriod(p)) for period in _PERIODS},
}
"""Each component by name: a factory of fresh (zero) state, called with the `Apply` arguments in order."""


class _UserKernel:
    """A component registered from Python: its kernel's pure-Python form (`py_func`) on a zero state.

    User components have no second definition to hold them to; they run here exactly as the user wrote them.
    """

    def __init__(self, name: str):
        contract = series_component(name)
        assert contract is not None
        self.function = kernel_of(name).py_func
        self.sizing = contract.state
        names = [a.name for a in contract.args]
        self.window = len(contract.reads) + names.index(self.sizing.arg) if self.sizing.arg else None
        self.state: np.ndarray | None = None

    def __call__(self, *args: float) -> float:
        if self.state is None:
            size = self.sizing.extra + (self.sizing.per * int(args[self.window]) if self.window is not None else 0)
            self.state = np.zeros(max(0, size))
        return float(self.function(self.state, *args))


def _component(name: str) -> Component:
    factory = COMPONENTS.get(name)
    return factory() if factory is not None else _UserKernel(name)


# ---- expressions --------------------------------------------------------------------------


@dataclass
class _Scope:
    """What an expression sees at one (step, symbol)."""

    params: Sequence[float]
    symbol: str
    literals: Sequence[str]
    inputs: dict[InputKey, Record]  # the present inputs
    settings: dict[str, float] = field(default_factory=dict)  # the settings computed so far
    states: dict[int, Component] = field(default_factory=dict)  # component state by instance


def evaluate(expr: Expr, scope: _Scope) -> float:
    """One expression at one (step, symbol). Both operands always run: their components keep state."""
    if isinstance(expr, Slot):
        return scope.params[expr.index]
    if isinstance(expr, Input):
        return scope.inputs[(expr.event, expr.source)][expr.field]
    if isinstance(expr, Local):
        return scope.settings[expr.name]
    if isinstance(expr, SymbolIs):
        return 1.0 if (scope.symbol == scope.literals[expr.literal]) != expr.negate else 0.0
    if isinstance(expr, UnOp):
        v = evaluate(expr.operand, scope)
        return -v if expr.op == "-" else 0.0 if _truthy(v) else 1.0
    if isinstance(expr, BinOp):
        return _binop(expr.op, evaluate(expr.left, scope), evaluate(expr.right, scope))
    assert isinstance(expr, Apply)
    args = [evaluate(a, scope) for a in expr.args]
    if expr.instance not in scope.states:
        scope.states[expr.instance] = _component(expr.component)
    return scope.states[expr.instance](*args)


# ---- wiring -------------------------------------------------------------------------------


def _input_key(edge: Edge) -> InputKey:
    """The input an edge feeds: `(event, source)`, with every BAR route merged into `("BAR", None)`."""
    return (edge.event, None if edge.event == "BAR" else edge.source)


@dataclass(frozen=True)
class _Input:
    """One input of a container: an event from one source (BAR: from every data container at once)."""

    event: str
    source: str | None
    edges: tuple[tuple[Edge, tuple[BoundGuard, ...] | None], ...]  # in `graph.incoming` order

    @property
    def key(self) -> InputKey:
        return (self.event, self.source)


class _Network:
    """The events of the current and the previous step, and their delivery along the routes."""

    def __init__(self, analysis: Analysis, market: MarketData, params: Sequence[float]):
        assert analysis.graph is not None and analysis.binding is not None
        self.graph: FlowGraph = analysis.graph
        self.binding = analysis.binding
        self.market = market
        self.params = params
        self.trade_from = 0
        self.replays: list[tuple[np.ndarray, np.ndarray]] = []
        self.t = 0
        self.now: dict[str, Emitted] = {}
        self.before: dict[str, Emitted] = {}
        self.starting: dict[str, Record] = {}  # portfolio -> its PORTFOLIO event before the first step

    def inputs(self, path: str) -> list[_Input]:
        groups: dict[InputKey, list[tuple[Edge, tuple[BoundGuard, ...] | None]]] = {}
        for edge in self.graph.incoming(path):
            guards = None if edge.guards is None else self.binding.guards[
                (edge.source, path, edge.event, edge.feedback)]
            groups.setdefault(_input_key(edge), []).append((edge, guards))
        return [_Input(event, source, tuple(edges)) for (event, source), edges in groups.items()]

    def scope(self, s: int, inputs: dict[InputKey, Record]) -> _Scope:
        return _Scope(self.params, self.market.symbols[s], self.binding.symbol_literals, inputs)

    def deliver(self, inp: _Input, s: int) -> list[Record]:
        """The events of `inp` present at (t, s): those of the first route that delivers any."""
        for edge, guards in inp.edges:
            passed = [r for r in self._emitted(edge, s) if guards is None or self._passes(guards, edge, r, s)]
            if passed:
                return passed
        return []

    def present(self, inputs: Sequence[_Input], s: int) -> dict[InputKey, Record]:
        """The present single-event inputs at (t, s), for expressions."""
        found = {}
        for inp in inputs:
            events = self.deliver(inp, s)
            if events:
                found[inp.key] = events[0]
        return found

    def _emitted(self, edge: Edge, s: int) -> list[Record]:
        if not edge.feedback:
            return self.now[edge.source][s]
        if self.t == 0:
            return [self.starting[edge.source]] if edge.event == "PORTFOLIO" else []
        return self.before[edge.source][s]

    def _passes(self, guards: tuple[BoundGuard, ...], edge: Edge, event: Record, s: int) -> bool:
        scope = self.scope(s, {_input_key(edge): event})
        return any(all(_truthy(evaluate(e, scope)) for e in g.required)
                   and not any(_truthy(evaluate(e, scope)) for e in g.excluded) for g in guards)


# ---- containers ---------------------------------------------------------------------------


class _Data:
    def __init__(self, net: _Network, owned: list[bool]):
        self.net = net
        self.owned = owned

    def step(self, t: int) -> Emitted:
        m = self.net.market
        time = _seconds(m.timestamps[t])
        return [[{**{f: float(getattr(m, f)[t, s]) for f in BAR_FIELDS}, "time": time}]
                if self.owned[s] and m.present[t, s] else [] for s in range(m.n_symbols)]


class _Series:
    """A feature, classifier or strategy container: settings evaluated per symbol."""

    def __init__(self, net: _Network, bound: BoundContainer, inputs: list[_Input], steps: int):
        self.net = net
        self.bound = bound
        self.inputs = inputs
        self.states: list[dict[int, Component]] = [{} for _ in net.market.symbols]
        shape = (steps, net.market.n_symbols) if bound.role == "strategy" else (0, 0)
        self.log = (np.zeros(shape, bool), np.zeros(shape), np.zeros(shape))  # SIGNAL: present, direction, strength

    def step(self, t: int) -> Emitted:
        return [self._symbol(t, s) for s in range(self.net.market.n_symbols)]

    def _symbol(self, t: int, s: int) -> list[Record]:
        present = self.net.present(self.inputs, s)
        scope = self.net.scope(s, present)
        scope.states = self.states[s]
        for setting in self.bound.settings:
            if setting.reads <= present.keys() and not isinstance(setting.expr, Replay):
                scope.settings[setting.name] = evaluate(setting.expr, scope)
        ran = scope.settings
        if self.bound.role != "strategy":
            return [dict(ran)] if len(ran) == len(self.bound.settings) else []
        active = self.bound.setting("active") is None or _truthy(ran.get("active", NAN))
        signal = self.bound.setting("signal")
        if signal is not None and isinstance(signal.expr, Replay):  # the captured SIGNAL, as it was
            replayed, values = self.net.replays[signal.expr.index]
            if not replayed[t, s] or not active:
                return []
            event = {"direction": float(values[t, s, 0]), "strength": float(values[t, s, 1])}
        elif "signal" not in ran or not active:
            return []
        else:
            value = ran["signal"]
            event = {"direction": _sign(value), "strength": abs(value) if value == value else 0.0}
        self.log[0][t, s], self.log[1][t, s], self.log[2][t, s] = True, event["direction"], event["strength"]
        return [event]


class _Risk:
    def __init__(self, net: _Network, config: RiskConfig, inputs: list[_Input], index: int,
                 orders: list[tuple[int, int, float, float, int]]):
        self.net, self.config, self.index, self.orders = net, config, index, orders
        self.signals = [i for i in inputs if i.event == "SIGNAL"]
        self.portfolios = [i for i in inputs if i.event == "PORTFOLIO"]
        self.bar = next((i for i in inputs if i.event == "BAR"), None)
        n = net.market.n_symbols
        self.book = [0.0] * n
        self.direction: list[float | None] = [None] * n  # the last combined direction sized
        self.quantity = [0.0] * n  # the quantity sized for it, held until the direction changes
        self.equity = [NAN] * n  # of the latest PORTFOLIO received
        self.drawdown = [NAN] * n
        # exits (docs/semantics.md, section 6a)
        self.last_close = [NAN] * n  # of the latest BAR received
        self.entry = [NAN] * n  # the close at the order that opened the position
        self.extreme = [NAN] * n  # the highest high (long) or lowest low (short) since, for the trailing stop
        self.latched = [False] * n  # flat after an exit until the combined direction changes

    def _p(self, slot: Slot) -> float:
        return self.net.params[slot.index]

    def step(self, t: int) -> Emitted:
        out: Emitted = []
        for s in range(self.net.market.n_symbols):
            for inp in self.portfolios:
                for event in self.net.deliver(inp, s)[:1]:
                    self.equity[s], self.drawdown[s] = event["equity"], event["drawdown"]
            exit_price = self._exit(s) if self.config.has_exits else NAN
            exited = exit_price == exit_price
            if exited:
                self.latched[s] = True
            directions = [events[0]["direction"] for inp in self.signals if (events := self.net.deliver(inp, s))]
            target = None
            if directions and t >= self.net.trade_from:  # warm-up steps before trade_from: no orders
                d = self._direction(directions)
                if self.latched[s] and (self.direction[s] is None or d != self.direction[s]):
                    self.latched[s] = False
                if not exited and not self.latched[s]:
                    target = self._target(t, s, d)
            if exited:
                order = -self.book[s]
                self.book[s] = self.book[s] + order
                self.orders.append((t, s, order, exit_price, self.index))
                out.append([{"quantity": order, "price": exit_price}])
                continue
            order = 0.0 if target is None else target - self.book[s]
            if order != 0.0:
                before = self.book[s]
                self.book[s] = self.book[s] + order
                if self.book[s] != 0.0 and _sign(self.book[s]) != _sign(before):  # a new position: its entry
                    self.entry[s] = self.extreme[s] = self.last_close[s]
                self.orders.append((t, s, order, NAN, self.index))
                out.append([{"quantity": order, "price": NAN}])
            else:
                out.append([])
        return out

    def _exit(self, s: int) -> float:
        """Step 1a: the exit price if a stop or target is reached on this bar, else NaN."""
        bars = self.net.deliver(self.bar, s) if self.bar is not None else []
        if not bars:
            return NAN
        bar = bars[0]
        self.last_close[s] = bar["close"]
        book = self.book[s]
        if book == 0.0:
            return NAN
        c = self.config
        o, high, low = bar["open"], bar["high"], bar["low"]
        entry, extreme = self.entry[s], self.extreme[s]
        if book > 0.0:
            stop, goal = -math.inf, math.inf
            if c.stop_loss is not None:
                stop = entry * (1.0 - self._p(c.stop_loss) / 100.0)
            if c.trailing_stop is not None:
                trail = extreme * (1.0 - self._p(c.trailing_stop) / 100.0)
                if trail > stop:
                    stop = trail
            if c.take_profit is not None:
                goal = entry * (1.0 + self._p(c.take_profit) / 100.0)
            if o <= stop or o >= goal:
                return o
            if low <= stop:
                return stop
            if high >= goal:
                return goal
            if high > extreme:
                self.extreme[s] = high
            return NAN
        stop, goal = math.inf, -math.inf
        if c.stop_loss is not None:
            stop = entry * (1.0 + self._p(c.stop_loss) / 100.0)
        if c.trailing_stop is not None:
            trail = extreme * (1.0 + self._p(c.trailing_stop) / 100.0)
            if trail < stop:
                stop = trail
        if c.take_profit is not None:
            goal = entry * (1.0 - self._p(c.take_profit) / 100.0)
        if o >= stop or o <= goal:
            return o
        if high >= stop:
            return stop
        if low <= goal:
            return goal
        if low < extreme:
            self.extreme[s] = low
        return NAN

    def _direction(self, directions: list[float]) -> float:
        """The combined direction, after `long_only`."""
        c = self.config
        if c.combine == "mean":
            d = _sign(_sum(directions) / len(directions))
        elif c.combine == "unanimous":
            d = directions[0] if all(d == directions[0] for d in directions) else 0.0
        else:
            d = min(max(_sum(directions), -1.0), 1.0)
        if self._p(c.long_only) != 0.0 and d < 0.0:
            d = 0.0
        return d

    def _target(self, t: int, s: int, d: float) -> float | None:
        """The target quantity, or None where it is undefined (then nothing is sent or changed)."""
        c = self.config
        if self.direction[s] is None or d != self.direction[s] or self._p(c.rebalance) != 0.0:
            if c.size == "fixed":
                quantity = self._p(c.size_slot) * d
            else:
                close = float(self.net.market.close[t, s])
                quantity = d * _floor(_div((self._p(c.size_slot) / 100.0) * self.equity[s], close))
            if quantity != quantity:
                return None
            self.direction[s], self.quantity[s] = d, quantity
        target = self.quantity[s]
        if c.max_position is not None:
            m = self._p(c.max_position)
            target = min(max(target, -m), m)
        if c.max_drawdown is not None and self.drawdown[s] >= self._p(c.max_drawdown) / 100.0:
            book = self.book[s]
            target = _sign(book) * min(abs(book), max(0.0, _sign(book) * target))
        return target


class _Execution:
    def __init__(self, net: _Network, bound: BoundContainer, inputs: list[_Input]):
        self.net = net
        self.config = bound.config
        self.bar = next((i for i in inputs if i.event == "BAR"), None)
        self.orders = [i for i in inputs if i.event == "ORDER"]
        self.pending: list[list[float | None]] = [[None] * net.market.n_symbols for _ in self.orders]

    def step(self, t: int) -> Emitted:
        return [self._symbol(s) for s in range(self.net.market.n_symbols)]

    def _symbol(self, s: int) -> list[Record]:
        arrived = [[(e["quantity"], e["price"]) for e in self.net.deliver(inp, s)] for inp in self.orders]
        bars = self.net.deliver(self.bar, s) if self.bar is not None else []
        fills: list[Record] = []
        at_close = self.config.fill == "close"
        if bars:
            base = bars[0]["close" if at_close else "open"]
            for pending in self.pending:
                if pending[s] is not None:
                    fills.append(self._fill(pending[s], base))
                    pending[s] = None
        for pending, orders in zip(self.pending, arrived, strict=True):
            for q, price in orders:
                if bars and price == price:  # an exit order fills now at its price, whatever the fill mode
                    fills.append(self._fill(q, price))
                elif bars and at_close:
                    fills.append(self._fill(q, bars[0]["close"]))
                else:
                    netted = q if pending[s] is None else pending[s] + q
                    pending[s] = netted if netted != 0.0 else None
        return fills

    def _fill(self, q: float, base: float) -> Record:
        c, params = self.config, self.net.params
        price = base
        if c.slippage is not None:
            price = base + _sign(q) * ((params[c.slippage.index] / 10000.0) * base)
        commission = 0.0
        if c.commission is not None:
            rate = params[c.commission_slot.index]
            commission = {"percent": rate / 100.0 * abs(q) * price, "per_share": rate * abs(q),
                          "fixed": rate}[c.commission]
        return {"quantity": q, "price": price, "commission": commission}


class _Portfolio:
    def __init__(self, net: _Network, bound: BoundContainer, inputs: list[_Input], index: int,
                 executions: tuple[str, ...], fills: list[tuple]):
        self.net, self.index, self.fills = net, index, fills
        self.bar = next((i for i in inputs if i.event == "BAR"), None)
        self.fill_inputs = [(executions.index(i.source), i) for i in inputs if i.event == "FILL"]
        n = net.market.n_symbols
        self.cash0 = net.params[bound.config.cash.index]
        self.cash = self.equity = self.peak = self.cash0
        self.drawdown = 0.0
        self.position = [0.0] * n
        self.last_close = [NAN] * n
        net.starting[bound.path] = {"cash": self.cash0, "equity": self.cash0, "drawdown": 0.0, "position": 0.0}

    def step(self, t: int) -> Emitted:
        n = self.net.market.n_symbols
        bars = [self.net.deliver(self.bar, s) if self.bar is not None else [] for s in range(n)]
        received = [[(x, e) for x, inp in self.fill_inputs for e in self.net.deliver(inp, s)] for s in range(n)]
        if not any(bars) and not any(received):
            return [[] for _ in range(n)]
        for s in range(n):
            if bars[s]:
                self.last_close[s] = bars[s][0]["close"]
            for execution, fill in received[s]:
                q, price, commission = fill["quantity"], fill["price"], fill["commission"]
                self.position[s] = self.position[s] + q
                self.cash = self.cash - (q * price + commission)
                self.fills.append((t, s, q, price, commission, self.index, execution))
        equity = self.cash
        for s in range(n):
            if self.position[s] != 0.0:
                equity = equity + self.position[s] * self.last_close[s]
        self.equity = equity
        if equity > self.peak:
            self.peak = equity
        self.drawdown = 1.0 - _div(equity, self.peak)
        return [[{"cash": self.cash, "equity": equity, "drawdown": self.drawdown, "position": self.position[s]}]
                for s in range(n)]


# ---- the run ------------------------------------------------------------------------------


_Runner = _Data | _Series | _Risk | _Execution | _Portfolio


def schedule(graph: FlowGraph) -> list[str]:
    """A topological order of the feedback-free graph, ties broken by declaration order."""
    order = {n: graph.g.nodes[n]["order"] for n in graph.nodes}
    return list(nx.lexicographical_topological_sort(graph.forward_graph(), key=order.__getitem__))


def _owners(analysis: Analysis, data: list[str], symbols: Sequence[str]) -> dict[str, list[bool]]:
    """Which symbols each data container emits BAR for (one container: all of them)."""
    if len(data) == 1:
        return {data[0]: [True] * len(symbols)}
    owned = {}
    for path in data:
        names: set[str] = set()
        for spec in analysis.binding.containers[path].config.sources:
            found = source_symbols(spec.kind, spec.args)
            if found is None:
                raise ValueError(f"the reference engine cannot tell which symbols `{path}` loads: give its "
                                 f"`{spec.kind}` source a `symbol`")
            names.update(found)
        owned[path] = [name in names for name in symbols]
    return owned


def _check(analysis: Analysis) -> None:
    if analysis.graph is None or analysis.binding is None or any(d.is_error for d in analysis.diagnostics):
        raise ValueError("the reference engine runs only a workflow that analysed without errors")
    for path in analysis.graph.nodes:
        bound = analysis.binding.containers[path]
        if bound.role not in ("data", "feature", "classifier", "strategy", "risk", "execution", "portfolio"):
            raise ValueError(f"`{path}` has the user role `{bound.role}`, which cannot run")
        for setting in bound.settings:
            for node in walk(setting.expr):
                if isinstance(node, Apply) and node.component not in COMPONENTS \
                        and series_component(node.component) is None:
                    raise ValueError(f"the reference engine has no component `{node.component}`")


Trace = Callable[[int, str, Emitted], None]
"""A trace hook: called after each container runs, with the step, the container and what it emitted."""


def run_reference(analysis: Analysis, market: MarketData, params: list[float] | None = None, *,
                  trade_from: int = 0, replays: Sequence[tuple[np.ndarray, np.ndarray]] = (),
                  trace: Trace | None = None) -> Ledger:
    """Run a workflow over market data, step by step, and return its ledger.

    Risk containers act only at steps >= `trade_from`; earlier steps warm up every state.
    `trace`, if given, sees every container's events as they are emitted (`flowc run --trace`);
    it may raise to stop the run.
    """
    _check(analysis)
    graph, binding = analysis.graph, analysis.binding
    if params is None:
        params = binding.params.vector(analysis.values)
    net = _Network(analysis, market, params)
    net.trade_from = trade_from
    net.replays = list(replays)  # captured signals: presence [T, S] and (direction, strength) [T, S, 2]
    order = schedule(graph)
    roles = {path: graph.role(path) for path in order}
    risks = tuple(p for p in order if roles[p] == "risk")
    executions = tuple(p for p in order if roles[p] == "execution")
    portfolios = tuple(p for p in order if roles[p] == "portfolio")
    owners = _owners(analysis, [p for p in order if roles[p] == "data"], market.symbols)
    orders: list[tuple] = []
    fills: list[tuple] = []
    steps = market.n_steps
    runners: dict[str, _Runner] = {}
    for path in order:
        bound, inputs = binding.containers[path], net.inputs(path)
        role = roles[path]
        if role == "data":
            runners[path] = _Data(net, owners[path])
        elif role == "risk":
            runners[path] = _Risk(net, bound.config, inputs, risks.index(path), orders)
        elif role == "execution":
            runners[path] = _Execution(net, bound, inputs)
        elif role == "portfolio":
            runners[path] = _Portfolio(net, bound, inputs, portfolios.index(path), executions, fills)
        else:
            runners[path] = _Series(net, bound, inputs, steps)

    held = [runners[p] for p in portfolios]
    equity = np.empty((steps, len(held)))
    exposed = np.zeros(steps, bool)
    for t in range(steps):
        net.t, net.before, net.now = t, net.now, {}
        for path in order:
            net.now[path] = runners[path].step(t)
            if trace is not None:
                trace(t, path, net.now[path])
        equity[t] = [p.equity for p in held]
        exposed[t] = any(q != 0.0 for p in held for q in p.position)

    unfilled = [(s, pending[s], x) for x, path in enumerate(executions)
                for s in range(market.n_symbols) for pending in runners[path].pending if pending[s] is not None]
    return Ledger(
        portfolios=portfolios, risks=risks, executions=executions,
        cash0=np.array([p.cash0 for p in held], dtype=float),
        equity=equity, exposed=exposed,
        positions=np.array([p.position for p in held], dtype=float).reshape(len(held), market.n_symbols),
        orders=np.array(orders, dtype=ORDER_DTYPE),
        fills=np.array(fills, dtype=FILL_DTYPE),
        unfilled=np.array(unfilled, dtype=UNFILLED_DTYPE),
        signals={p: runners[p].log for p in order if roles[p] == "strategy"},
    )
