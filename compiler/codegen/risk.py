"""The emitter of risk containers: docs/semantics.md, sections 6 and 6a.

The state has the names of the semantics, one array over the symbols each: `book`,
`direction` (the remembered one), `quantity` (the held one), and with exits `last_close`,
`entry`, `extreme`, `latched`. The arithmetic is the money kernels' (`runtime/kernels/money.py`).
"""

from __future__ import annotations

from flowc.compiler.codegen.context import Context, RoleEmitter
from flowc.compiler.codegen.contract import Symbols
from flowc.compiler.codegen.expr import presence
from flowc.compiler.ir import RiskConfig
from flowc.compiler.plan import NodePlan
from flowc.compiler.schema import Events

# the state of a risk container per symbol (section 6; 6a with exits): name, dtype, value at the start
STATE = (("book", "f8", 0.0), ("direction", "f8", float("nan")), ("quantity", "f8", 0.0))
EXIT_STATE = (("last_close", "f8", float("nan")), ("entry", "f8", float("nan")), ("extreme", "f8", float("nan")),
              ("latched", "bool", False))
COMBINE = {"sum": "combine_sum_nb(total)", "mean": "combine_mean_nb(total, n_sig)",
           "unanimous": "combine_unanimous_nb(first, agree)"}


def buffers(ctx: Context, node: NodePlan) -> None:
    x = node.ident
    for name, dtype, start in STATE + (EXIT_STATE if node.container.config.has_exits else ()):
        ctx.buffer(f"{name}_{x}", (Symbols(),), dtype, start)
    if not ctx.layout.fused:  # else locals (`ev`)
        ctx.buffer(f"ordq_{x}", (Symbols(),), "f8", 0.0)
        ctx.buffer(f"ordpx_{x}", (Symbols(),), "f8", float("nan"))  # NaN: a market order; else an exit's
        ctx.buffer(f"ordp_{x}", (Symbols(),), "bool", False)


def init(ctx: Context, node: NodePlan) -> None:
    ctx.w(f"seen_equity_{node.ident} = np.nan  # of the latest PORTFOLIO received")
    ctx.w(f"seen_drawdown_{node.ident} = 0.0")


def before(ctx: Context, node: NodePlan) -> None:
    w = ctx.w
    for item in node.inputs_of(Events.PORTFOLIO):
        source = ctx.ident(item.edges[0].source)
        w(f"if {presence(ctx, item)}:")
        with w.indent():
            w(f"seen_equity_{node.ident} = fb_equity_{source}")
            w(f"seen_drawdown_{node.ident} = fb_drawdown_{source}")


def symbol(ctx: Context, node: NodePlan) -> None:
    w, cfg, x = ctx.w, node.container.config, node.ident
    w(f"{ctx.ev(f'ordp_{x}')} = False")
    if ctx.layout.fused:  # locals are defined on every path
        w(f"ordq_{x} = 0.0")
        w(f"ordpx_{x} = np.nan")
    w("n_sig = 0")
    w("total = 0.0")
    w("first = 0.0")
    w("agree = True")
    for item in node.inputs_of(Events.SIGNAL):
        w(f"if {presence(ctx, item)}:")
        with w.indent():
            source = ctx.plan.node(item.source)  # type: ignore[arg-type]
            w(f"d = out_{source.ident}[{ctx.row(source)}, s, 0]")
            w("if n_sig == 0:")
            with w.indent():
                w("first = d")
            w("elif d != first:")
            with w.indent():
                w("agree = False")
            w("n_sig += 1")
            w("total = total + d")
    if cfg.has_exits:
        _exits(ctx, node, cfg)
    w("if n_sig > 0 and t >= trade_from:  # warm-up steps before trade_from send no orders")
    with w.indent():
        _act(ctx, node, cfg)


def _exits(ctx: Context, node: NodePlan, cfg: RiskConfig) -> None:
    """Step 1a of docs/semantics.md, section 6a: stop loss, take profit and trailing stop on this bar."""
    w, x = ctx.w, node.ident
    bar = node.input(Events.BAR)
    assert bar is not None  # bind requires a BAR route for exits (FL209)
    ctx.kernels.update(("level_below_nb", "level_above_nb", "exit_long_nb", "exit_short_nb"))
    w("exited = False")
    w(f"if {presence(ctx, bar)}:")
    with w.indent():
        w(f"last_close_{x}[s] = bar_close[t, s]")
        w(f"b = book_{x}[s]")
        w("if b != 0.0:")
        with w.indent():
            w("o = bar_open[t, s]")
            w("h = bar_high[t, s]")
            w("lo = bar_low[t, s]")
            w("px = np.nan")
            for side, stop_at, goal_at, no_stop, no_goal, far, further in (
                    ("long", "below", "above", "-np.inf", "np.inf", "h", ">"),
                    ("short", "above", "below", "np.inf", "-np.inf", "lo", "<")):
                w(f"{'if b > 0.0' if side == 'long' else 'elif b < 0.0'}:  # {side}")
                with w.indent():
                    stop = no_stop if cfg.stop_loss is None else \
                        f"level_{stop_at}_nb(entry_{x}[s], p[{cfg.stop_loss.index}])"
                    w(f"stop = {stop}")
                    if cfg.trailing_stop is not None:
                        ctx.kernels.add(f"trail_{side}_nb")
                        w(f"stop = trail_{side}_nb(stop, level_{stop_at}_nb(extreme_{x}[s], "
                          f"p[{cfg.trailing_stop.index}]))")
                    goal = no_goal if cfg.take_profit is None else \
                        f"level_{goal_at}_nb(entry_{x}[s], p[{cfg.take_profit.index}])"
                    w(f"goal = {goal}")
                    w(f"px = exit_{side}_nb(o, h, lo, stop, goal)")
                    w(f"if px != px and {far} {further} extreme_{x}[s]:  # no exit: the extreme moves")
                    with w.indent():
                        w(f"extreme_{x}[s] = {far}")
            w("if px == px:")
            with w.indent():
                w("order = -b")
                w(f"{ctx.ev(f'ordq_{x}')} = order")
                w(f"{ctx.ev(f'ordpx_{x}')} = px")
                w(f"{ctx.ev(f'ordp_{x}')} = True")
                w(f"book_{x}[s] = b + order")
                w(f"latched_{x}[s] = True")
                w("exited = True")
                ctx.record("orders", ("t", "s", "order", "px", str(ctx.layout.risks.index(node))))


def _act(ctx: Context, node: NodePlan, cfg: RiskConfig) -> None:
    """Steps 3 to 6 of section 6: combine, the latch of an exit, size, limits, the order."""
    w, x = ctx.w, node.ident
    ctx.kernels.update((COMBINE[cfg.combine].split("(")[0], "long_only_nb"))
    w(f"d = {COMBINE[cfg.combine]}")
    w(f"d = long_only_nb(d, p[{cfg.long_only.index}])")
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
    w, x = ctx.w, node.ident
    ctx.kernels.add("resize_nb")
    if cfg.size == "percent_equity":
        ctx.kernels.add("size_percent_equity_nb")
        w("price = bar_close[t, s]")
        w("if price == price:")
        with w.indent():
            _order(ctx, node, cfg, f"size_percent_equity_nb(p[{cfg.size_slot.index}], seen_equity_{x}, price, d)")
    else:
        ctx.kernels.add("size_fixed_nb")
        _order(ctx, node, cfg, f"size_fixed_nb(p[{cfg.size_slot.index}], d)")


def _order(ctx: Context, node: NodePlan, cfg: RiskConfig, size: str) -> None:
    w, x = ctx.w, node.ident
    w(f"if resize_nb(direction_{x}[s], d, p[{cfg.rebalance.index}]):")
    with w.indent():
        w(f"quantity_{x}[s] = {size}")
    w(f"direction_{x}[s] = d")
    w(f"target = quantity_{x}[s]")
    if cfg.max_position is not None:
        ctx.kernels.add("max_position_nb")
        w(f"target = max_position_nb(target, p[{cfg.max_position.index}])")
    if cfg.max_drawdown is not None:
        ctx.kernels.add("max_drawdown_nb")
        w(f"target = max_drawdown_nb(target, book_{x}[s], seen_drawdown_{x}, p[{cfg.max_drawdown.index}])")
    w(f"order = target - book_{x}[s]")
    w("if order != 0.0:")
    with w.indent():
        w(f"{ctx.ev(f'ordq_{x}')} = order")
        w(f"{ctx.ev(f'ordp_{x}')} = True")
        if cfg.has_exits:
            w(f"{ctx.ev(f'ordpx_{x}')} = np.nan")
            w(f"old = book_{x}[s]")
        w(f"book_{x}[s] = book_{x}[s] + order")
        if cfg.has_exits:
            ctx.kernels.add("opens_nb")
            w(f"if opens_nb(old, book_{x}[s]):  # a new position: its entry")
            with w.indent():
                w(f"entry_{x}[s] = last_close_{x}[s]")
                w(f"extreme_{x}[s] = last_close_{x}[s]")
        ctx.record("orders", ("t", "s", "order", "np.nan", str(ctx.layout.risks.index(node))))


EMITTER = RoleEmitter(buffers=buffers, init=init, before=before, symbol=symbol)
