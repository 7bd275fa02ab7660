"""The emitter of risk containers: docs/semantics.md, sections 6, 6a and 6b.

The state has the names of the semantics, one array over the symbols each: `book`,
`direction` (the remembered one), `quantity` (the held one); with the position tracked
(`RiskConfig.tracks`) `last_close`, `entry`, `extreme`, `latched`, `bars`; with exits the level
of each (`stop`, `goal`, `trail`). The settings (the size's arguments, `rebalance`, the exits'
values) are evaluated as a series container's are. The arithmetic is the money kernels'
(`runtime/kernels/money.py`).
"""

from __future__ import annotations

from flowc.compiler.codegen.context import Context, RoleEmitter
from flowc.compiler.codegen.contract import Symbols
from flowc.compiler.codegen.expr import in_flight, presence
from flowc.compiler.codegen.portfolio import futures
from flowc.compiler.codegen.series import settings, state_buffers
from flowc.compiler.ir import Book, Level, RiskConfig, walk
from flowc.compiler.plan import NodePlan
from flowc.compiler.schema import Events

NAN, FALSE = float("nan"), False
# the state of a risk container per symbol (section 6; 6a with exits): name, dtype, value at the start
STATE = (("book", "f8", 0.0), ("direction", "f8", NAN), ("quantity", "f8", 0.0))
TRACKED = (("last_close", "f8", NAN), ("entry", "f8", NAN), ("extreme", "f8", NAN), ("latched", "bool", FALSE),
           ("bars", "f8", 0.0))
LEVELS = {"stop_loss": "stop", "take_profit": "goal", "trailing_stop": "trail"}  # setting: its level's state
COMBINE = {"sum": "combine_sum_nb(total)", "mean": "combine_mean_nb(total, n_sig)",
           "unanimous": "combine_unanimous_nb(first, agree)"}
SIZES = {  # the sizing kernel's call; `{x}` the container, `v_size_<arg>` its arguments' values, `{point}` what a
    # point of the price is worth (section 8b: a future's multiplier)
    "fixed": "size_fixed_nb(p[{q}], d)",
    "percent_equity": "size_percent_equity_nb(v_size_p, seen_equity_{x}, bar_close[t, s]{point}, d, p[{f}])",
    "units": "size_units_nb(v_size_x, d, p[{f}])",
    "weight": "size_weight_nb(v_size_w, seen_equity_{x}, bar_close[t, s]{point}, d, p[{f}])",
    "risk_percent": "size_risk_percent_nb(v_size_p, seen_equity_{x}, v_size_distance{point}, d, p[{f}])",
}
def reads_book(node: NodePlan) -> set[str]:
    return {e.field for s in node.container.settings for e in walk(s.expr) if isinstance(e, Book)}


def sees_position(node: NodePlan) -> bool:
    """It keeps the position of the latest PORTFOLIO: a setting reads it, or the book is made of it (`book =
    position` or `committed`)."""
    return "position" in reads_book(node) or node.container.config.book != "orders"


def levels(cfg: RiskConfig) -> dict[str, Level]:
    return {name: level for name in LEVELS if (level := getattr(cfg, name)) is not None}


def buffers(ctx: Context, node: NodePlan) -> None:
    x, cfg = node.ident, node.container.config
    state = STATE + (TRACKED if cfg.tracks else ()) + tuple((LEVELS[n], "f8", NAN) for n in levels(cfg))
    for name, dtype, start in state:
        ctx.buffer(f"{name}_{x}", (Symbols(),), dtype, start)
    if sees_position(node):
        ctx.buffer(f"seen_position_{x}", (Symbols(),), "f8", NAN)
    state_buffers(ctx, node)
    if not ctx.layout.fused:  # else locals (`ev`)
        ctx.buffer(f"ordq_{x}", (Symbols(),), "f8", 0.0)
        ctx.buffer(f"ordpx_{x}", (Symbols(),), "f8", NAN)  # NaN: a market order; else an exit's
        ctx.buffer(f"ordlv_{x}", (Symbols(),), "f8", NAN)  # NaN; else the level of a limit or stop order
        ctx.buffer(f"ordll_{x}", (Symbols(),), "f8", NAN)  # NaN; else the limit of a stop-limit order
        ctx.buffer(f"ordp_{x}", (Symbols(),), "bool", False)


def init(ctx: Context, node: NodePlan) -> None:
    for name in ("equity", "cash", "drawdown"):
        ctx.w(f"seen_{name}_{node.ident} = np.nan  # of the latest PORTFOLIO received")


def before(ctx: Context, node: NodePlan) -> None:
    w = ctx.w
    for item in node.inputs_of(Events.PORTFOLIO):
        source = ctx.ident(item.edges[0].source)
        w(f"if {presence(ctx, item)}:")
        with w.indent():
            for name in ("equity", "cash", "drawdown"):
                w(f"seen_{name}_{node.ident} = fb_{name}_{source}")


def symbol(ctx: Context, node: NodePlan) -> None:
    w, cfg, x = ctx.w, node.container.config, node.ident
    read = reads_book(node)
    w(f"{ctx.ev(f'ordp_{x}')} = False")
    if ctx.layout.fused:  # locals are defined on every path
        w(f"ordq_{x} = 0.0")
        w(f"ordpx_{x} = np.nan")
        w(f"ordlv_{x} = np.nan")
        w(f"ordll_{x} = np.nan")
    if sees_position(node):
        for item in node.inputs_of(Events.PORTFOLIO):
            w(f"if {presence(ctx, item)}:")
            with w.indent():
                w(f"seen_position_{x}[s] = pos_{ctx.ident(item.edges[0].source)}[s]")
    if cfg.book != "orders":
        w(f"if seen_position_{x}[s] == seen_position_{x}[s]:  # the book is the portfolio's position")
        with w.indent():  # `committed`: and what of its orders is still pending or working
            flight = f" + {in_flight(ctx, node)}" if cfg.book == "committed" else ""
            w(f"book_{x}[s] = seen_position_{x}[s]{flight}")
    _combine(ctx, node, cfg, "strength" in read)
    w("exited = False")
    if cfg.tracks:
        _track(ctx, node, cfg)
    settings(ctx, node)
    if cfg.close_at_end is not None:
        _close_at_end(ctx, node, cfg)
        w("elif n_sig > 0 and t >= trade_from:  # warm-up steps before trade_from send no orders")
    else:
        w("if n_sig > 0 and t >= trade_from:  # warm-up steps before trade_from send no orders")
    with w.indent():
        _act(ctx, node, cfg)
    each_bar = [(name, level) for name, level in levels(cfg).items() if level.each_bar]
    if each_bar:
        w(f"if book_{x}[s] != 0.0:  # levels re-evaluated at each step of the position")
        with w.indent():
            for name, level in each_bar:
                w(f"if v_{name} == v_{name}:")
                with w.indent():
                    _set_level(ctx, node, name, level)


def _combine(ctx: Context, node: NodePlan, cfg: RiskConfig, strength: bool) -> None:
    """Step 3 of section 6: the present directions combined, `d` (NaN when none is present)."""
    w = ctx.w
    ctx.kernels.update((COMBINE[cfg.combine].split("(")[0], "long_only_nb"))
    w("n_sig = 0")
    w("total = 0.0")
    w("first = 0.0")
    w("agree = True")
    if strength:
        w("strength = 0.0")
    for item in node.inputs_of(Events.SIGNAL):
        w(f"if {presence(ctx, item)}:")
        with w.indent():
            source = ctx.plan.node(item.source)  # type: ignore[arg-type]
            w(f"d = {ctx.event(source, 0)}")
            w("if n_sig == 0:")
            with w.indent():
                w("first = d")
            w("elif d != first:")
            with w.indent():
                w("agree = False")
            w("n_sig += 1")
            w("total = total + d")
            if strength:
                w(f"strength = strength + {ctx.event(source, 1)}")
    w("d = np.nan")
    w("if n_sig > 0:")
    with w.indent():
        w(f"d = long_only_nb({COMBINE[cfg.combine]}, p[{cfg.long_only.index}])")
    if strength:
        w("strength = strength / n_sig if n_sig > 0 else np.nan")


def _track(ctx: Context, node: NodePlan, cfg: RiskConfig) -> None:
    """Step 1a of section 6a: this bar's close and bars held; the exits' check on this bar."""
    w, x = ctx.w, node.ident
    bar = node.input(Events.BAR)
    assert bar is not None  # bind requires a BAR route for exits and tracked reads (FL209)
    w(f"if {presence(ctx, bar)}:")
    with w.indent():
        w(f"last_close_{x}[s] = bar_close[t, s]")
        w(f"b = book_{x}[s]")
        w("if b != 0.0:")
        with w.indent():
            w(f"bars_{x}[s] = bars_{x}[s] + 1.0")
            if cfg.has_exits:
                _exits(ctx, node, cfg)


def _exits(ctx: Context, node: NodePlan, cfg: RiskConfig) -> None:
    w, x = ctx.w, node.ident
    ctx.kernels.update(("exit_long_nb", "exit_short_nb"))
    w("o = bar_open[t, s]")
    w("h = bar_high[t, s]")
    w("lo = bar_low[t, s]")
    w("px = np.nan")
    for side, no_stop, no_goal, far, further in (("long", "-np.inf", "np.inf", "h", ">"),
                                                   ("short", "np.inf", "-np.inf", "lo", "<")):
        w(f"{'if b > 0.0' if side == 'long' else 'elif b < 0.0'}:  # {side}")
        with w.indent():
            w(f"stop = {no_stop if cfg.stop_loss is None else f'stop_{x}[s]'}")
            if cfg.trailing_stop is not None:
                ctx.kernels.update((f"trail_{side}_nb", _offset(cfg.trailing_stop, side, "stop")))
                level = f"{_offset(cfg.trailing_stop, side, 'stop')}(extreme_{x}[s], trail_{x}[s])"
                w(f"stop = trail_{side}_nb(stop, {level})")
            w(f"goal = {no_goal if cfg.take_profit is None else f'goal_{x}[s]'}")
            w(f"px = exit_{side}_nb(o, h, lo, stop, goal)")
            if cfg.trailing_stop is not None:
                w(f"if px != px and {far} {further} extreme_{x}[s]:  # no exit: the extreme moves")
                with w.indent():
                    w(f"extreme_{x}[s] = {far}")
    exit_when = "px == px"
    if cfg.max_bars is not None:  # the time stop: a market order
        exit_when = f"px == px or bars_{x}[s] >= p[{cfg.max_bars.index}]"
    w(f"if {exit_when}:")
    with w.indent():
        w("order = -b")
        _send(ctx, node, "px", "np.nan", "np.nan")
        w(f"book_{x}[s] = b + order")
        w(f"latched_{x}[s] = True")
        w("exited = True")
        ctx.record("orders", ("t", "s", "order", "px", str(ctx.layout.risks.index(node)), "0"))


def _close_at_end(ctx: Context, node: NodePlan, cfg: RiskConfig) -> None:
    """`close_at_end`: at the last step, an exit order of the whole book at this close (NaN without a bar)."""
    w, x = ctx.w, node.ident
    assert cfg.close_at_end is not None
    w(f"if p[{cfg.close_at_end.index}] != 0.0 and t == bar_close.shape[0] - 1:  # the last step: close out")
    with w.indent():
        w(f"if book_{x}[s] != 0.0:")
        with w.indent():
            w(f"order = -book_{x}[s]")
            w("px = bar_close[t, s]")
            _send(ctx, node, "px", "np.nan", "np.nan")
            w(f"book_{x}[s] = 0.0")
            ctx.record("orders", ("t", "s", "order", "px", str(ctx.layout.risks.index(node)), "0"))


def _send(ctx: Context, node: NodePlan, price: str, level: str, limit: str) -> None:
    """The ORDER of (t, s): `order` units; its price where some orders carry one, its levels where they work."""
    w, cfg, x = ctx.w, node.container.config, node.ident
    w(f"{ctx.ev(f'ordq_{x}')} = order")
    w(f"{ctx.ev(f'ordp_{x}')} = True")
    if cfg.priced:
        w(f"{ctx.ev(f'ordpx_{x}')} = {price}")
    if cfg.working:
        w(f"{ctx.ev(f'ordlv_{x}')} = {level}")
        w(f"{ctx.ev(f'ordll_{x}')} = {limit}")


def _offset(level: Level, side: str, which: str) -> str:
    """The kernel placing a level from a reference price: below it for a long's stop or a short's goal."""
    below = (side == "long") == (which == "stop")
    return f"{'level' if level.kind == 'percent' else 'offset'}_{'below' if below else 'above'}_nb"


def _set_level(ctx: Context, node: NodePlan, name: str, level: Level) -> None:
    """A level from its setting's value: a price, or placed from the entry (for a trailing stop, its amount)."""
    w, x = ctx.w, node.ident
    state = f"{LEVELS[name]}_{x}[s]"
    if level.kind == "price" or name == "trailing_stop":
        w(f"{state} = v_{name}")
        return
    which = "stop" if name == "stop_loss" else "goal"
    long, short = _offset(level, "long", which), _offset(level, "short", which)
    ctx.kernels.update((long, short))
    w(f"if book_{x}[s] > 0.0:")
    with w.indent():
        w(f"{state} = {long}(entry_{x}[s], v_{name})")
    w("else:")
    with w.indent():
        w(f"{state} = {short}(entry_{x}[s], v_{name})")


def _act(ctx: Context, node: NodePlan, cfg: RiskConfig) -> None:
    """Steps 3 to 6 of section 6: the latch of an exit, size, limits, the order."""
    w, x = ctx.w, node.ident
    if not cfg.has_exits:
        _size(ctx, node, cfg)
        return
    w(f"if latched_{x}[s] and d != direction_{x}[s]:  # the direction changed: the latch of an exit lifts")
    with w.indent():
        w(f"latched_{x}[s] = False")
    w(f"if not exited and not latched_{x}[s]:")
    with w.indent():
        _size(ctx, node, cfg)


def _size(ctx: Context, node: NodePlan, cfg: RiskConfig) -> None:
    """Step 4 and the rest: size when the direction is new or a rebalance holds, then limits and the order."""
    w, x = ctx.w, node.ident
    point = " * contract_multiplier[s]" if futures(ctx) else ""
    size = SIZES[cfg.size].format(x=x, f=cfg.fractional.index, q=cfg.size_slot.index if cfg.size_slot else -1,
                                  point=point)
    ctx.kernels.update(("resize_nb", size.split("(")[0]))
    w("sized = True")
    w(f"if resize_nb(direction_{x}[s], d, {'v_rebalance' if cfg.rebalance else '0.0'}):")
    with w.indent():
        w(f"q = {size}")
        w("if np.isfinite(q):  # else undefined: nothing sent, nothing changed")
        with w.indent():
            w(f"quantity_{x}[s] = q")
            w(f"direction_{x}[s] = d")
        w("else:")
        with w.indent():
            w("sized = False")
    w("if sized:")
    with w.indent():
        _order(ctx, node, cfg)


def _order(ctx: Context, node: NodePlan, cfg: RiskConfig) -> None:
    w, x = ctx.w, node.ident
    w(f"target = quantity_{x}[s]")
    if cfg.max_position is not None:
        ctx.kernels.add("max_position_nb")
        w(f"target = max_position_nb(target, p[{cfg.max_position.index}])")
    if cfg.max_drawdown is not None:
        ctx.kernels.add("max_drawdown_nb")
        w(f"target = max_drawdown_nb(target, book_{x}[s], seen_drawdown_{x}, p[{cfg.max_drawdown.index}])")
    w(f"order = target - book_{x}[s]")
    at = "np.nan"  # the level of the order
    if cfg.entry == "market_on_close":  # an order that grows the position fills at this close
        ctx.kernels.add("grows_nb")
        w(f"price = bar_close[t, s] if grows_nb(book_{x}[s], book_{x}[s] + order) else np.nan")
    if cfg.working:  # an order that opens or increases the position is of the entry type
        ctx.kernels.add("grows_nb")
        at = "level"
        w("level = np.nan")
        w("limit = np.nan")
        w(f"if order != 0.0 and grows_nb(book_{x}[s], book_{x}[s] + order):")
        with w.indent():
            w("level = v_entry")
            undefined = "level != level"
            if cfg.entry == "stop_limit":
                w("limit = v_entry_limit")
                undefined += " or limit != limit"
            w(f"if {undefined}:  # undefined: nothing sent, tried again at the next step")
            with w.indent():
                w("order = 0.0")
    w("if order != 0.0:")
    with w.indent():
        _send(ctx, node, "price" if cfg.entry == "market_on_close" else "np.nan", at, "limit")
        if cfg.tracks:
            w(f"old = book_{x}[s]")
        w(f"book_{x}[s] = book_{x}[s] + order")
        if cfg.tracks:
            ctx.kernels.add("opens_nb")
            w(f"if opens_nb(old, book_{x}[s]):  # a new position: its entry, and its levels")
            with w.indent():
                w(f"entry_{x}[s] = last_close_{x}[s]")
                w(f"extreme_{x}[s] = last_close_{x}[s]")
                w(f"bars_{x}[s] = 0.0")
                for name, level in levels(cfg).items():
                    _set_level(ctx, node, name, level)
        price = "price" if cfg.entry == "market_on_close" else at
        ctx.record("orders", ("t", "s", "order", price, str(ctx.layout.risks.index(node)), "0"))


EMITTER = RoleEmitter(buffers=buffers, init=init, before=before, symbol=symbol)
