"""The bound form of settings and route predicates: a small expression IR plus role configurations.

Names are resolved (to inputs, earlier settings or parameter slots), calls to
component contracts. Numbers and params are *slots* of one parameter vector,
so the structure of a program never depends on a number: one compilation
serves every point of a sweep. Strings never reach generated code: symbols in
predicates become indices into `symbol_literals`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flowc.dsl.source import Span

# ---- expressions ------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """`params[index]`: a number or a param, known before the run."""

    index: int


@dataclass(frozen=True)
class Input:
    """A field of an input event: `(event, source)` names the input, `source` None for BAR."""

    event: str
    source: str | None
    field: str


@dataclass(frozen=True)
class CrossInput(Input):
    """`field@SYMBOL`: the field as the symbol `symbol_literals[literal]` has it at this step.

    An `Input` too: it reads the same input (the setting runs where that input is present for
    the symbol evaluated), only the value comes from another symbol (docs/semantics.md, section 3).
    """

    literal: int = -1


@dataclass(frozen=True)
class Local:
    """An earlier setting of the same container."""

    name: str


@dataclass(frozen=True)
class Apply:
    """A per-bar component call; `instance` numbers its state within the container."""

    component: str
    args: tuple[Expr, ...]  # implicit BAR reads first, then the arguments
    windows: tuple[Slot, ...]  # the WINDOW/NUMBER arguments, in order, for state sizing
    instance: int


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * / < <= > >= == != and or
    left: Expr
    right: Expr


@dataclass(frozen=True)
class UnOp:
    op: str  # "-" or "not"
    operand: Expr


@dataclass(frozen=True)
class SymbolIs:
    """`symbol == "X"` (or `!=` with `negate`): the literal's index in `symbol_literals`."""

    literal: int
    negate: bool = False


@dataclass(frozen=True)
class Book:
    """What a risk container knows of its own position and account for the symbol (docs/semantics.md, 6b)."""

    field: str  # one of `schema.BOOK_FIELDS`


@dataclass(frozen=True)
class Replay:
    """`signal = replay(DIR, strategy = NAME)`: the SIGNALs a capture stored (index into `replays`)."""

    index: int


@dataclass(frozen=True)
class CrossSection:
    """`cs_rank(x)`, `top(x, n)`, ...: `arg` across the symbols at one step (docs/semantics.md, section 5a).

    `n` is the count of `top` and `bottom`; `index` numbers it in its container, with the `Apply`
    instances (no state is kept under it).
    """

    op: str
    arg: Expr
    n: Slot | None
    index: int


CROSS_SECTIONAL = ("cs_rank", "cs_zscore", "demean", "cs_weight", "top", "bottom")  # `top` and `bottom` take `n`

Expr = Slot | Input | Local | Apply | BinOp | UnOp | SymbolIs | Book | Replay | CrossSection

InputKey = tuple[str, str | None]  # (event, source)


def reads(expr: Expr, locals_reads: dict[str, frozenset[InputKey]]) -> frozenset[InputKey]:
    """The inputs an expression needs present (through earlier settings too)."""
    if isinstance(expr, Input):
        return frozenset({(expr.event, expr.source)})
    if isinstance(expr, Local):
        return locals_reads.get(expr.name, frozenset())
    if isinstance(expr, Apply):
        return frozenset().union(*(reads(a, locals_reads) for a in expr.args))
    if isinstance(expr, BinOp):
        return reads(expr.left, locals_reads) | reads(expr.right, locals_reads)
    if isinstance(expr, UnOp):
        return reads(expr.operand, locals_reads)
    if isinstance(expr, CrossSection):
        return reads(expr.arg, locals_reads)
    return frozenset()


def walk(expr: Expr):
    """Every node of an expression, parents first."""
    yield expr
    if isinstance(expr, Apply):
        for a in expr.args:
            yield from walk(a)
    elif isinstance(expr, BinOp):
        yield from walk(expr.left)
        yield from walk(expr.right)
    elif isinstance(expr, UnOp):
        yield from walk(expr.operand)
    elif isinstance(expr, CrossSection):
        yield from walk(expr.arg)


def cross_sections(expr: Expr) -> list[CrossSection]:
    """The cross-sectional operators of an expression, in `walk` order (their arguments hold none)."""
    return [e for e in walk(expr) if isinstance(e, CrossSection)]


# ---- settings and role configurations ---------------------------------------------------


@dataclass(frozen=True)
class BoundSetting:
    name: str
    expr: Expr
    reads: frozenset[InputKey]
    span: Span


@dataclass(frozen=True)
class SourceSpec:
    """One data source call, with its arguments evaluated (strings and numbers)."""

    kind: str
    args: dict[str, object]
    span: Span


@dataclass(frozen=True)
class ReplaySpec:
    """Where a replayed strategy's signals come from: a capture folder and the strategy's path there."""

    path: str
    strategy: str
    span: Span


@dataclass(frozen=True)
class DataConfig:
    sources: tuple[SourceSpec, ...]
    contract: Contract | None = None  # its symbols are futures contracts; None: stocks (docs/semantics.md, 8b)


@dataclass(frozen=True)
class Contract:
    """A futures contract (`contract = future(multiplier, margin)`): a price point is worth `multiplier`
    in cash, and each contract held keeps `margin` of the cash posted (docs/semantics.md, 8b)."""

    multiplier: Slot
    margin: Slot


@dataclass(frozen=True)
class Level:
    """How an exit setting's value becomes a price level (docs/semantics.md, 6a)."""

    kind: str  # "percent" (of the entry price) | "distance" (from it, in price) | "price" (the level itself)
    each_bar: bool  # re-evaluated at every step of the position; else fixed at the step that opens it


WORKING_ENTRIES = ("limit", "stop", "stop_limit")  # the entries whose orders work at a level (docs/semantics.md, 7)


@dataclass(frozen=True)
class RiskConfig:
    """A risk container's fixed choices. Its per-bar values are its settings: `size_<arg>` for the
    arguments of `size` (all but `fixed`'s), and `rebalance` and each exit when given."""

    size: str  # "fixed" | "percent_equity" | "units" | "weight" | "risk_percent"
    size_slot: Slot | None  # the q of `fixed(q)`
    max_position: Slot | None
    max_drawdown: Slot | None
    long_only: Slot
    combine: str  # "sum" | "mean" | "unanimous"
    rebalance: bool  # a `rebalance` setting decides at each step; else never
    fractional: Slot  # != 0: sizes are not rounded down to whole units
    stop_loss: Level | None = None
    take_profit: Level | None = None
    trailing_stop: Level | None = None
    max_bars: Slot | None = None  # the time stop: bars held at most
    tracks: bool = False  # keeps the position's entry and bars held: exits, or a setting reads them
    entry: str = "market"  # market, market_on_close, market_on_open, limit, stop, stop_limit
    entry_bars: Slot | None = None  # a limit's or stop's time in force: bars it works at most (< 1: till cancelled)
    close_at_end: Slot | None = None  # != 0: the position is closed at the last step's close
    book: str = "orders"  # an order's baseline: "orders" (the units sent) or "position" (the portfolio's)

    @property
    def working(self) -> bool:
        """Its orders that open or increase a position work at a level (docs/semantics.md, 7)."""
        return self.entry in WORKING_ENTRIES

    @property
    def priced(self) -> bool:
        """Some of its orders carry a price and fill at it at once: exits, and market-on-close entries."""
        return self.has_exits or self.entry == "market_on_close" or self.close_at_end is not None

    @property
    def at_open(self) -> bool:
        """Its market orders fill at the next bar's open whatever the fill mode (`market_on_open`)."""
        return self.entry == "market_on_open"

    @property
    def has_exits(self) -> bool:
        return (self.stop_loss is not None or self.take_profit is not None or self.trailing_stop is not None
                or self.max_bars is not None)


@dataclass(frozen=True)
class Fee:
    """One term of a commission (docs/semantics.md, section 7): `percent(p)`, `per_share(c)`, `fixed(c)` or
    `per_share_tiers(sizes, rates)`, whose first tier's rate is `rate` and each later tier a `(size, rate)`."""

    kind: str  # "percent" | "per_share" | "fixed" | "per_share_tiers"
    rate: Slot
    tiers: tuple[tuple[Slot, Slot], ...] = ()  # `per_share_tiers`: the tiers after the first, sizes increasing

    @property
    def rates(self) -> tuple[Slot, ...]:
        """Every rate of the term: its one rate, or each tier's."""
        return (self.rate, *(rate for _, rate in self.tiers))


@dataclass(frozen=True)
class ExecutionConfig:
    fill: str  # "next_open" | "close"
    commission: tuple[Fee, ...]  # its terms, summed left to right; none: no commission
    slippage: Slot | None  # bps
    min_commission: Slot | None = None  # per fill
    max_commission: Fee | None = None  # per fill: an amount (`fixed`) or a percent of the fill's value
    slippage_model: str = "bps"  # "bps" | "volume_impact": how `slippage`'s number moves the price
    entry_spread: Slot | None = None  # bps charged on the part of a fill that opens or grows a position
    max_participation: Slot | None = None  # a fill at most this percent of its bar's volume
    rest: str | None = None  # "keep" | "drop": what is left of a capped order (None without a cap)


@dataclass(frozen=True)
class PortfolioConfig:
    cash: Slot
    buying_power: str = "none"  # "none" | "cut" | "reject": what a buy the cash cannot pay becomes (section 8)
    max_leverage: Slot | None = None  # gross exposure / equity at most this (needs buying power, section 8)
    interest: Slot | None = None  # percent per bar (per year) earned on the cash (paid on a negative cash)
    borrow_fee: Slot | None = None  # percent per bar (per year) of each short position's value at its last close
    interest_yearly: bool = False  # `interest_per_year`: `interest` is a yearly rate, charged for the time elapsed
    borrow_fee_yearly: bool = False  # `borrow_fee_per_year`: the same for `borrow_fee`


Config = DataConfig | RiskConfig | ExecutionConfig | PortfolioConfig


@dataclass(frozen=True)
class Timeframe:
    """The coarser bars a series container computes on (docs/semantics.md, section 4a)."""

    kind: str  # "every" (n bars) | "minutes" (n minutes) | "hourly" | "daily" | "weekly" | "monthly"
    n: int = 1


TIMEFRAME_KINDS = ("every", "minutes", "hourly", "daily", "weekly", "monthly")  # the kernel's `kind` codes, in order


@dataclass(frozen=True)
class BoundContainer:
    path: str
    role: str
    settings: tuple[BoundSetting, ...] = ()  # series roles: feature, classifier, strategy
    config: Config | None = None
    timeframe: Timeframe | None = None  # series roles: computed on coarser bars, its event held (section 4a)

    def setting(self, name: str) -> BoundSetting | None:
        return next((s for s in self.settings if s.name == name), None)


@dataclass(frozen=True)
class BoundGuard:
    required: tuple[Expr, ...]
    excluded: tuple[Expr, ...]


@dataclass
class ParamTable:
    """The parameter vector's layout: which slot holds which param or literal."""

    slots: list[tuple[str | None, float]] = field(default_factory=list)  # (param name or None, literal)
    by_param: dict[str, Slot] = field(default_factory=dict)

    def literal(self, value: float) -> Slot:
        self.slots.append((None, float(value)))
        return Slot(len(self.slots) - 1)

    def param(self, name: str) -> Slot:
        if name not in self.by_param:
            self.slots.append((name, float("nan")))
            self.by_param[name] = Slot(len(self.slots) - 1)
        return self.by_param[name]

    def vector(self, values: dict[str, object]) -> list[float]:
        """The parameter vector for one set of param values."""
        return [float(values[name]) if name is not None else literal  # type: ignore[arg-type]
                for name, literal in self.slots]
