"""Component contracts: what each callable of a `.flow` file is, as pure data.

A contract says where a component may be called (role and setting), its
arguments and their kinds, the BAR fields it reads implicitly, and for
per-bar kernels the size of its state and its warm-up. The runtime binds
kernels to these contracts by their `module:function` name; the compiler never
imports numba. User components are registered here too (`register`), through the
runtime's Python API.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from flowc.compiler.schema import TIMEFRAME, Roles


class Kind(str, enum.Enum):
    SERIES = "series"  # a number per bar (a field, a feature, an expression, or a scalar)
    WINDOW = "window"  # a positive whole number of bars, known before the run
    NUMBER = "number"  # a scalar known before the run
    STRING = "string"
    INT = "int"  # a whole number known before the run
    BOOL = "bool"  # true or false, known before the run


REQUIRED = object()
ANY_SETTING = "*"
SERIES_ROLES = frozenset({Roles.FEATURE, Roles.CLASSIFIER, Roles.STRATEGY})
EXPRESSION_ROLES = SERIES_ROLES | {Roles.RISK}  # a risk container's settings call feature components too


@dataclass(frozen=True)
class Arg:
    name: str
    kind: Kind
    default: object = REQUIRED


@dataclass(frozen=True)
class Sizing:
    """How a state or warm-up length follows from the arguments: `per * int(arg) + extra`, or `extra`."""

    arg: str | None = None
    extra: int = 0
    per: int = 1  # floats per unit of the argument: `per * int(arg) + extra` (two rings: `corr`, `cov`)


@dataclass(frozen=True)
class Component:
    name: str
    role: str  # "feature" components are callable in every series role
    setting: str  # ANY_SETTING for series components
    args: tuple[Arg, ...]
    summary: str
    definition: str = ""
    reads: tuple[str, ...] = ()  # implicit BAR fields, passed to the kernel before the arguments
    state: Sizing = field(default_factory=Sizing)
    warmup: Sizing = field(default_factory=Sizing)
    kernel: str | None = None  # "module:function" of the numba kernel; None for configuration components
    registers: int = 0  # R > 0: `step` is the kernel's step form, the counters state[0..R-1] in and out
    step: str | None = None  # "module:function" of the step form (runtime/kernels/features.py)
    counts: int = 0  # of the counters, the first `counts` are whole numbers (a ring's position and run): int locals
    # "module:function" of the step form of a BAR field read at every bar (`sma_bar_step`): the field's
    # array, t and s for x, no ring, and the counters after the first (the ring's position)
    bar_step: str | None = None

    @property
    def signature(self) -> str:
        def shown(a: Arg) -> str:
            if a.default is REQUIRED:
                return a.name
            return f"{a.name} = {str(a.default).lower() if isinstance(a.default, bool) else repr(a.default)}"
        return f"{self.name}({', '.join(shown(a) for a in self.args)})"


_KERNEL_MODULES = {Roles.FEATURE: "flowc.runtime.kernels.features", Roles.CLASSIFIER: "flowc.runtime.kernels.signals",
                   Roles.STRATEGY: "flowc.runtime.kernels.signals"}
_EXPRESSIONS = "flowc.runtime.kernels.expressions"


def _series(name: str, args: tuple[Arg, ...], summary: str, definition: str, *, state: Sizing,
            warmup: Sizing, reads: tuple[str, ...] = (), role: str = Roles.FEATURE, registers: int = 0,
            counts: int = 0, module: str | None = None, bar_step: bool = False) -> Component:
    module = module or _KERNEL_MODULES[role]
    return Component(name, role, ANY_SETTING, args, summary, definition, reads, state, warmup,
                     kernel=f"{module}:{name}_nb", registers=registers,
                     step=f"{module}:{name}_step" if registers else None, counts=counts,
                     bar_step=f"{module}:{name}_bar_step" if bar_step else None)


def _operator(name: str, args: tuple[Arg, ...], summary: str, definition: str, *, state: Sizing | None = None,
              warmup: Sizing | None = None) -> Component:
    """An expression operator (runtime/kernels/expressions.py), callable in every series setting."""
    return _series(name, args, summary, definition, state=state or Sizing(None, 0), warmup=warmup or Sizing(None, 0),
                   module=_EXPRESSIONS)


X, N = Arg("x", Kind.SERIES), Arg("n", Kind.WINDOW)
A, B = Arg("a", Kind.SERIES), Arg("b", Kind.SERIES)
LAG = Arg("n", Kind.WINDOW, 1)
FALSE = 0  # the default of an optional condition: never true
TIME = "time"  # the implicit read of calendar operators: the bar's timestamp, whole seconds since 1970 (UTC)
LAGGED = frozenset({"shift", "diff", "pct_change"})  # their window is a lag: below 1 it would look ahead (FL512)

OPERATORS: tuple[Component, ...] = (
    # ---- lags ----
    _operator("shift", (X, N), "the input n calls ago",
              "x as it was n calls ago (undefined inputs included); undefined for the first n calls; n >= 1",
              state=Sizing("n", 3), warmup=Sizing("n", 0)),
    _operator("diff", (X, LAG), "difference with n calls ago", "x - shift(x, n)",
              state=Sizing("n", 3), warmup=Sizing("n", 0)),
    _operator("pct_change", (X, LAG), "relative change over n calls",
              "x / shift(x, n) - 1 (IEEE division, as `returns`)", state=Sizing("n", 3), warmup=Sizing("n", 0)),
    # ---- arithmetic (stateless; undefined in, undefined out) ----
    _operator("log", (X,), "natural logarithm", "ln(x); undefined where x <= 0"),
    _operator("exp", (X,), "exponential", "e ** x; inf where it overflows"),
    _operator("sqrt", (X,), "square root", "undefined where x < 0"),
    _operator("abs", (X,), "absolute value", "|x|"),
    _operator("sign", (X,), "sign", "+1, -1 or 0 by the sign of x; undefined where x is"),
    _operator("min", (A, B), "the smaller of two", "a if a <= b else b; undefined where either is"),
    _operator("max", (A, B), "the larger of two", "a if a >= b else b; undefined where either is"),
    _operator("clip", (X, Arg("low", Kind.SERIES), Arg("high", Kind.SERIES)), "x held within [low, high]",
              "min(max(x, low), high); undefined where any is"),
    _operator("where", (Arg("cond", Kind.SERIES), A, B), "conditional",
              "a where cond is true (defined and not 0), else b; both are evaluated"),
    # ---- rolling windows ----
    _operator("sum", (X, N), "rolling sum", "the running sum of sma(x, n) (so sum(x, n) / n == sma(x, n))",
              state=Sizing("n", 3), warmup=Sizing("n", -1)),
    _operator("rank", (X, N), "rolling percentile rank",
              "(number of the last n values <= x) / n, current included; in (0, 1]",
              state=Sizing("n", 3), warmup=Sizing("n", -1)),
    _operator("cov", (A, B, N), "rolling covariance (ddof 1)",
              "two passes over the last n pairs where both are defined", state=Sizing("n", 3, per=2),
              warmup=Sizing("n", -1)),
    _operator("corr", (A, B, N), "rolling Pearson correlation",
              "sxy / sqrt(sxx * syy) over the last n pairs, two passes; undefined where sxx or syy is 0",
              state=Sizing("n", 3, per=2), warmup=Sizing("n", -1)),
    # ---- events and state ----
    _operator("cross_above", (A, B), "a crosses above b",
              "1 on the call where a > b after a <= b at the previous call (all defined), else 0",
              state=Sizing(None, 3), warmup=Sizing(None, 1)),
    _operator("cross_below", (A, B), "a crosses below b",
              "1 on the call where a < b after a >= b at the previous call (all defined), else 0",
              state=Sizing(None, 3), warmup=Sizing(None, 1)),
    _operator("hold", (Arg("long", Kind.SERIES, FALSE), Arg("short", Kind.SERIES, FALSE),
                       Arg("flat", Kind.SERIES, FALSE)), "a latched direction",
              "0 if flat is true, else +1 if long is, else -1 if short is, else the previous value; 0 at first",
              state=Sizing(None, 1)),
    *(_series(name, (), f"the bar's {what}", definition, state=Sizing(None, 0), warmup=Sizing(None, 0),
              reads=(TIME,), module=_EXPRESSIONS) for name, what, definition in (
        ("year", "year", "e.g. 2024, from its timestamp (UTC, as stored)"),
        ("month", "month", "1 to 12"),
        ("day", "day of the month", "1 to 31"),
        ("weekday", "day of the week", "0 on Monday to 6 on Sunday"),
        ("hour", "hour", "0 to 23"),
        ("minute", "minute", "0 to 59"))),
    *(_series(f"new_{period}", (), f"the first bar of a {period}",
              f"1 where the bar's {what} differs from the symbol's previous bar's (previous call), else 0; "
              "0 at the first", state=Sizing(None, 2), warmup=Sizing(None, 1), reads=(TIME,), module=_EXPRESSIONS)
      for period, what in (("day", "date"), ("week", "ISO week (Monday to Sunday)"), ("month", "year and month"),
                           ("year", "year"))),
    _series("bar_index", (), "the symbol's bar number", "0 at the symbol's first bar (call), then 1, 2, ...",
            state=Sizing(None, 1), warmup=Sizing(None, 0), reads=("close",), module=_EXPRESSIONS),
)

# The column names a file source may give (runtime/data_columns.py), and the choice of adjusted prices.
_COLUMN_ARGS = (*(Arg(name, Kind.STRING, None) for name in ("timestamp", "open", "high", "low", "close", "volume",
                                                            "adj_close")), Arg("adjusted", Kind.BOOL, False))

BUILTIN: tuple[Component, ...] = (
    # ---- feature (callable in feature, classifier and strategy settings) ----
    _series("sma", (X, N), "simple moving average",
            "mean of the last n values; running sum seeded by the left-to-right sum of the first n",
            state=Sizing("n", 3), warmup=Sizing("n", -1), registers=3, counts=2, bar_step=True),
    _series("ema", (X, N), "exponential moving average",
            "ewm(span=n, adjust=False).mean(); the first n-1 defined bars undefined",
            state=Sizing(None, 2), warmup=Sizing("n", -1), registers=2),
    _series("rsi", (X, N), "relative strength index (Wilder)",
            "100 - 100/(1 + G/L) with G, L Wilder averages of gains and losses; 100 where L == 0",
            state=Sizing(None, 4), warmup=Sizing("n", 0), registers=4),
    _series("stdev", (X, N), "rolling standard deviation (ddof 1)",
            "rolling(n).std(ddof=1), two passes per window", state=Sizing("n", 3), warmup=Sizing("n", -1),
            registers=2, counts=2),
    _series("returns", (X,), "simple returns", "x / x.shift(1) - 1",
            state=Sizing(None, 2), warmup=Sizing(None, 1), registers=2),
    _series("atr", (N,), "average true range (Wilder)",
            "true range smoothed by ewm(alpha=1/n, adjust=False); undefined for the first n bars",
            state=Sizing(None, 3), warmup=Sizing("n", 0), reads=("high", "low", "close"), registers=3),
    _series("zscore", (X, N), "rolling z-score", "(x - sma(x, n)) / stdev(x, n); undefined where stdev is 0",
            state=Sizing("n", 3), warmup=Sizing("n", -1), registers=3, counts=2),
    _series("highest", (X, N), "rolling maximum", "max of the last n values, current included",
            state=Sizing("n", 3), warmup=Sizing("n", -1), registers=2, counts=2),
    _series("lowest", (X, N), "rolling minimum", "min of the last n values, current included",
            state=Sizing("n", 3), warmup=Sizing("n", -1), registers=2, counts=2),
    *OPERATORS,
    # ---- classifier ----
    _series("threshold_regime", (X, Arg("level", Kind.SERIES)), "two regimes split at a level",
            "0 where x < level, 1 where x >= level, undefined where x is undefined",
            state=Sizing(None, 0), warmup=Sizing(None, 0), role=Roles.CLASSIFIER),
    # ---- strategy signals ----
    _series("crossover", (Arg("a", Kind.SERIES), Arg("b", Kind.SERIES)), "+1 above, -1 below",
            "+1 where a > b, -1 where a < b, 0 where equal or undefined",
            state=Sizing(None, 0), warmup=Sizing(None, 0), role=Roles.STRATEGY),
    _series("mean_reversion", (X, Arg("low", Kind.SERIES), Arg("high", Kind.SERIES)),
            "+1 below low, -1 above high", "+1 where x < low, -1 where x > high (strict), else 0",
            state=Sizing(None, 0), warmup=Sizing(None, 0), role=Roles.STRATEGY),
    _series("breakout", (N,), "channel breakout of the close",
            "+1 where close > max of the previous n closes, -1 where < their min, else 0",
            state=Sizing("n", 3), warmup=Sizing("n", 0), reads=("close",), role=Roles.STRATEGY, registers=2, counts=2),
    _series("momentum", (X, N), "sign of the n-bar change", "sign(x - x.shift(n))",
            state=Sizing("n", 3), warmup=Sizing("n", 0), role=Roles.STRATEGY, registers=3, counts=3),
    # ---- replay of captured signals (handled by the binder and code generator, not a kernel) ----
    Component("replay", Roles.STRATEGY, "signal", (Arg("path", Kind.STRING), Arg("strategy", Kind.STRING)),
              "the SIGNALs that `flowc run --capture-signals DIR` stored for one strategy, emitted again"),
    # ---- data sources ----
    Component("csv", Roles.DATA, "source", (Arg("path", Kind.STRING), Arg("symbol", Kind.STRING, None), *_COLUMN_ARGS),
              "bars from a CSV file; `open = \"Open Price\"` ... name the columns, `adjusted = true` scales "
              "the bars by the adjusted close"),
    Component("parquet", Roles.DATA, "source",
              (Arg("path", Kind.STRING), Arg("symbol", Kind.STRING, None), *_COLUMN_ARGS),
              "bars from a Parquet file (wide, or long with a `symbol` column); columns named as for `csv`"),
    Component("sample", Roles.DATA, "source", (Arg("name", Kind.STRING), Arg("symbol", Kind.STRING, None)),
              "the bundled daily S&P 500 (`sp500`) or NASDAQ (`nasdaq`) bars, 1999-2018"),
    Component("synthetic", Roles.DATA, "source",
              (Arg("bars", Kind.INT, 1000), Arg("symbols", Kind.INT, 1), Arg("seed", Kind.INT, 0)),
              "geometric Brownian motion bars from numpy's default_rng(seed)"),
    Component("future", Roles.DATA, "contract", (Arg("multiplier", Kind.NUMBER), Arg("margin", Kind.NUMBER)),
              "the container's symbols are futures: a point is worth multiplier, a contract held posts margin"),
    # ---- risk ----
    Component("fixed", Roles.RISK, "size", (Arg("q", Kind.NUMBER),), "target q * direction units"),
    Component("percent_equity", Roles.RISK, "size", (Arg("p", Kind.SERIES),),
              "target direction * floor(((p/100) * equity) / close) units"),
    Component("units", Roles.RISK, "size", (Arg("x", Kind.SERIES),), "target direction * floor(x) units"),
    Component("weight", Roles.RISK, "size", (Arg("w", Kind.SERIES),),
              "target direction * floor((w * equity) / close) units: w of equity"),
    Component("risk_percent", Roles.RISK, "size", (Arg("p", Kind.SERIES), Arg("distance", Kind.SERIES)),
              "target direction * floor(((p/100) * equity) / distance) units: lose p % of equity at the stop"),
    *(Component(kind, Roles.RISK, setting, (Arg("x", Kind.SERIES), Arg("each_bar", Kind.NUMBER, False)), summary)
      for setting in ("stop_loss", "take_profit", "trailing_stop")
      for kind, summary in (("percent", "a level x % from the entry price (trailing: from the extreme)"),
                            ("distance", "a level x in price from the entry price (trailing: from the extreme)"),
                            ("price", "the level x itself"))
      if not (setting == "trailing_stop" and kind == "price")),
    Component("market", Roles.RISK, "entry", (), "open or increase a position with a market order (the default)"),
    Component("market_on_close", Roles.RISK, "entry", (),
              "open or increase a position at the close of the bar of the decision"),
    Component("market_on_open", Roles.RISK, "entry", (),
              "every market order of the container fills at the open of the next bar, in close mode too"),
    Component("limit", Roles.RISK, "entry", (Arg("price", Kind.SERIES), Arg("bars", Kind.NUMBER, 0)),
              "open or increase with a limit order at price, working bars bars (0: till cancelled)"),
    Component("stop", Roles.RISK, "entry", (Arg("price", Kind.SERIES), Arg("bars", Kind.NUMBER, 0)),
              "open or increase with a stop order at price, working bars bars (0: till cancelled)"),
    Component("stop_limit", Roles.RISK, "entry", (Arg("stop", Kind.SERIES), Arg("limit", Kind.SERIES),
                                                   Arg("bars", Kind.NUMBER, 0)),
              "open or increase with a stop-limit order: a limit at limit once the price reaches stop"),
    # ---- the timeframe of a feature, classifier or strategy (docs/semantics.md, section 4a) ----
    *(Component(kind, role, "timeframe", args, summary)
      for role in (Roles.FEATURE, Roles.CLASSIFIER, Roles.STRATEGY)
      for kind, args, summary in (
          ("every", (Arg("n", Kind.INT),), "bars of n of the symbol's bars, seen at the close of the last"),
          ("minutes", (Arg("n", Kind.INT),), "bars of n minutes (from midnight UTC), seen at the next one's first bar"),
          ("hourly", (), "bars of one hour, seen at the next hour's first bar"),
          ("daily", (), "bars of one day (UTC), seen at the next day's first bar"),
          ("weekly", (), "bars of one ISO week (Monday to Sunday), seen at the next week's first bar"),
          ("monthly", (), "bars of one month, seen at the next month's first bar"))),
    # ---- execution ----
    Component("next_open", Roles.EXECUTION, "fill", (), "fill at the open of the symbol's next bar"),
    Component("close", Roles.EXECUTION, "fill", (), "fill at the close of the same bar"),
    Component("percent", Roles.EXECUTION, "commission", (Arg("p", Kind.NUMBER),),
              "p/100 * abs(quantity) * fill price"),
    Component("per_share", Roles.EXECUTION, "commission", (Arg("c", Kind.NUMBER),), "c * abs(quantity)"),
    Component("fixed", Roles.EXECUTION, "commission", (Arg("c", Kind.NUMBER),), "c per fill"),
    Component("per_share_tiers", Roles.EXECUTION, "commission", (Arg("sizes", Kind.NUMBER), Arg("rates", Kind.NUMBER)),
              "rates[k] * abs(quantity), k the last tier with sizes[k] <= abs(quantity); lists, sizes from 0 up"),
    Component("bps", Roles.EXECUTION, "slippage", (Arg("b", Kind.NUMBER),),
              "fill price + sign(q) * ((b/10000) * price), against the order"),
    Component("volume_impact", Roles.EXECUTION, "slippage", (Arg("k", Kind.NUMBER),),
              "fill price + sign(q) * ((k * abs(q) / volume) * price), the volume of the latest closed bar"),
    Component("bps", Roles.EXECUTION, "entry_spread", (Arg("b", Kind.NUMBER),),
              "b basis points against the part of a fill that opens or grows a position; none on exits"),
)

_registry: dict[tuple[str, str, str], Component] = {}


def register(component: Component) -> None:
    """Add (or replace) a component; the runtime's `register_component` calls this."""
    _registry[(component.role, component.setting, component.name)] = component


for _component in BUILTIN:
    register(_component)


def lookup(role: str, setting: str, name: str) -> Component | None:
    """The component `name` callable in `role`'s `setting` (series components serve every series role)."""
    found = _registry.get((role, setting, name))
    if found is None and role in EXPRESSION_ROLES:
        for series_role in _series_roles_for(role):
            found = found or _registry.get((series_role, ANY_SETTING, name))
    return found


def _series_roles_for(role: str) -> tuple[str, ...]:
    """Feature components serve every series role and risk settings; classifier ones serve strategies too."""
    return {Roles.FEATURE: (Roles.FEATURE,), Roles.RISK: (Roles.FEATURE,),
            Roles.CLASSIFIER: (Roles.CLASSIFIER, Roles.FEATURE),
            Roles.STRATEGY: (Roles.STRATEGY, Roles.CLASSIFIER, Roles.FEATURE)}[role]


def candidates(role: str, setting: str) -> list[str]:
    """Names callable at that place, for 'did you mean' and completion (a risk setting's own components:
    the feature components its arguments may call are `candidates(Roles.FEATURE, ANY_SETTING)`)."""
    names = {n for (r, s, n) in _registry if r == role and s == setting}
    if role in SERIES_ROLES and setting != TIMEFRAME:  # a container's clock is not a per-bar value
        names |= {n for (r, s, n) in _registry if s == ANY_SETTING and r in _series_roles_for(role)}
    return sorted(names)


def series_component(name: str) -> Component | None:
    """The per-bar component of that name (names of series components are unique)."""
    return next((c for c in _registry.values() if c.name == name and c.kernel), None)
