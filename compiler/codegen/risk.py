"""The emitter of risk containers: docs/semantics.md, sections 6 and 6a."""

from __future__ import annotations

from flowc.compiler.codegen.context import Context, RoleEmitter
from flowc.compiler.codegen.contract import Fields, Symbols
from flowc.compiler.codegen.expr import presence
from flowc.compiler.plan import NodePlan


def buffers(ctx: Context, node: NodePlan) -> None:
    ctx.buffer(f"rk_{node.ident}", (Symbols(), Fields(3)), "f8", float("nan"))  # book, last direction, held quantity
    if not ctx.layout.fused:  # else locals (`ev`)
        ctx.buffer(f"ordq_{node.ident}", (Symbols(),), "f8", 0.0)
        ctx.buffer(f"ordpx_{node.ident}", (Symbols(),), "f8", float("nan"))  # NaN: a market order; else an exit's
        ctx.buffer(f"ordp_{node.ident}", (Symbols(),), "bool", False)
    if node.container.config.has_exits:
        # last close, entry, extreme, latched
        ctx.buffer(f"rkx_{node.ident}", (Symbols(), Fields(4)), "f8", float("nan"))


def init(ctx: Context, node: NodePlan) -> None:
    w = ctx.w
    w(f"rk_{node.ident}[:, 0] = 0.0")
    w(f"rk_{node.ident}[:, 2] = 0.0")
    w(f"seen_equity_{node.ident} = np.nan  # of the latest PORTFOLIO received")
    w(f"seen_drawdown_{node.ident} = 0.0")
    if node.container.config.has_exits:
        w(f"rkx_{node.ident}[:, 3] = 0.0")


def before(ctx: Context, node: NodePlan) -> None:
    w = ctx.w
    for item in node.inputs_of("PORTFOLIO"):
        source = ctx.ident(item.edges[0].source)
        w(f"if {presence(ctx, item)}:")
        with w.indent():
            w(f"seen_equity_{node.ident} = fb_equity_{source}")
            w(f"seen_drawdown_{node.ident} = fb_drawdown_{source}")


def symbol(ctx: Context, node: NodePlan) -> None:
    w, cfg, rk = ctx.w, node.container.config, f"rk_{node.ident}"
    w(f"{ctx.ev(f'ordp_{node.ident}')} = False")
    if ctx.layout.fused:  # locals are defined on every path
        w(f"ordq_{node.ident} = 0.0")
        w(f"ordpx_{node.ident} = np.nan")
    w("n_sig = 0")
    w("total = 0.0")
    w("first = 0.0")
    w("agree = True")
    for item in node.inputs_of("SIGNAL"):
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
        _exits(ctx, node, cfg, rk)
    w("if n_sig > 0 and t >= trade_from:  # warm-up steps before trade_from send no orders")
    with w.indent():
        _act(ctx, node, cfg, rk)


def _exits(ctx: Context, node: NodePlan, cfg, rk: str) -> None:
    """Step 1a of docs/semantics.md, section 6a: stop loss, take profit and trailing stop on this bar."""
    w, x = ctx.w, f"rkx_{node.ident}"
    bar = node.input("BAR")
    assert bar is not None  # bind requires a BAR route for exits (FL209)
    w("exited = False")
    w(f"if {presence(ctx, bar)}:")
    with w.indent():
        w(f"{x}[s, 0] = bar_close[t, s]")
        w(f"b = {rk}[s, 0]")
        w("if b != 0.0:")
        with w.indent():
            w("o = bar_open[t, s]")
            w("h = bar_high[t, s]")
            w("lo = bar_low[t, s]")
            w("px = np.nan")
            for side, sign, worse, better in (("b > 0.0", "-", "<=", ">="), ("b < 0.0", "+", ">=", "<=")):
                back = "+" if sign == "-" else "-"
                w(f"if {side}:")
                with w.indent():
                    w(f"stop = {sign}np.inf")
                    if cfg.stop_loss is not None:
                        w(f"stop = {x}[s, 1] * (1.0 {sign} p[{cfg.stop_loss.index}] / 100.0)")
                    if cfg.trailing_stop is not None:
                        w(f"trail = {x}[s, 2] * (1.0 {sign} p[{cfg.trailing_stop.index}] / 100.0)")
                        w(f"if trail {'>' if sign == '-' else '<'} stop:")
                        with w.indent():
                            w("stop = trail")
                    w(f"goal = {back}np.inf")
                    if cfg.take_profit is not None:
                        w(f"goal = {x}[s, 1] * (1.0 {back} p[{cfg.take_profit.index}] / 100.0)")
                    near, far = ("lo", "h") if sign == "-" else ("h", "lo")
                    # the first that holds: gapped through the stop or the goal at the open, then reached
                    chain = ((f"o {worse} stop", "o"), (f"o {better} goal", "o"),
                             (f"{near} {worse} stop", "stop"), (f"{far} {better} goal", "goal"))
                    for k, (test, price) in enumerate(chain):
                        w(f"{'if' if k == 0 else 'elif'} {test}:")
                        with w.indent():
                            w(f"px = {price}")
                    w(f"elif {far} {'>' if sign == '-' else '<'} {x}[s, 2]:")
                    with w.indent():
                        w(f"{x}[s, 2] = {far}")
            w("if px == px:")
            with w.indent():
                w("order = -b")
                w(f"{ctx.ev(f'ordq_{node.ident}')} = order")
                w(f"{ctx.ev(f'ordpx_{node.ident}')} = px")
                w(f"{ctx.ev(f'ordp_{node.ident}')} = True")
                w(f"{rk}[s, 0] = b + order")
                w(f"{x}[s, 3] = 1.0")
                w("exited = True")
                ctx.record("orders", ("t", "s", "order", "px", str(ctx.layout.risks.index(node))))


def _act(ctx: Context, node: NodePlan, cfg, rk: str) -> None:
    w = ctx.w
    ctx.kernels.add("sign_nb")
    if cfg.combine == "sum":
        w("d = min(max(total, -1.0), 1.0)")
    elif cfg.combine == "mean":
        w("d = sign_nb(total / n_sig)")
    else:
        w("d = first if agree else 0.0")
    w(f"if p[{cfg.long_only.index}] != 0.0 and d < 0.0:")
    with w.indent():
        w("d = 0.0")
    if not cfg.has_exits:
        _size(ctx, node, cfg, rk)
        return
    x = f"rkx_{node.ident}"
    w(f"if {x}[s, 3] != 0.0 and d != {rk}[s, 1]:  # the direction changed: the latch of an exit lifts")
    with w.indent():
        w(f"{x}[s, 3] = 0.0")
    w(f"if not exited and {x}[s, 3] == 0.0:")
    with w.indent():
        _size(ctx, node, cfg, rk)


def _size(ctx: Context, node: NodePlan, cfg, rk: str) -> None:
    w = ctx.w
    resize = f"{rk}[s, 1] != {rk}[s, 1] or d != {rk}[s, 1] or p[{cfg.rebalance.index}] != 0.0"
    acting = "True"
    if cfg.size == "percent_equity":
        w("price = bar_close[t, s]")
        acting = "price == price"
    w(f"if {acting}:")
    with w.indent():
        w(f"if {resize}:")
        with w.indent():
            if cfg.size == "fixed":
                w(f"{rk}[s, 2] = p[{cfg.size_slot.index}] * d")
            else:
                size = f"p[{cfg.size_slot.index}]"
                w(f"{rk}[s, 2] = d * np.floor((({size} / 100.0) * seen_equity_{node.ident}) / price)")
        w(f"{rk}[s, 1] = d")
        w(f"target = {rk}[s, 2]")
        if cfg.max_position is not None:
            m = f"p[{cfg.max_position.index}]"
            w(f"target = min(max(target, -{m}), {m})")
        if cfg.max_drawdown is not None:
            w(f"if seen_drawdown_{node.ident} >= p[{cfg.max_drawdown.index}] / 100.0:")
            with w.indent():
                w(f"sb = sign_nb({rk}[s, 0])")
                w(f"target = sb * min(abs({rk}[s, 0]), max(0.0, sb * target))")
        w(f"order = target - {rk}[s, 0]")
        w("if order != 0.0:")
        with w.indent():
            w(f"{ctx.ev(f'ordq_{node.ident}')} = order")
            w(f"{ctx.ev(f'ordp_{node.ident}')} = True")
            if cfg.has_exits:
                x = f"rkx_{node.ident}"
                w(f"{ctx.ev(f'ordpx_{node.ident}')} = np.nan")
                w(f"old = {rk}[s, 0]")
            w(f"{rk}[s, 0] = {rk}[s, 0] + order")
            if cfg.has_exits:
                w(f"if {rk}[s, 0] != 0.0 and sign_nb({rk}[s, 0]) != sign_nb(old):  # a new position: its entry")
                with w.indent():
                    w(f"{x}[s, 1] = {x}[s, 0]")
                    w(f"{x}[s, 2] = {x}[s, 0]")
            ctx.record("orders", ("t", "s", "order", "np.nan", str(ctx.layout.risks.index(node))))


EMITTER = RoleEmitter(buffers=buffers, init=init, before=before, symbol=symbol)
