"""The emitter of portfolio containers: docs/semantics.md, section 8.

Fills and marking to market are the money kernels' (`runtime/kernels/money.py`).
"""

from __future__ import annotations

from flowc.compiler.codegen.context import Context, RoleEmitter
from flowc.compiler.codegen.contract import Symbols
from flowc.compiler.codegen.expr import presence
from flowc.compiler.plan import NodePlan
from flowc.compiler.schema import Events


def buffers(ctx: Context, node: NodePlan) -> None:
    ctx.buffer(f"pos_{node.ident}", (Symbols(),), "f8", 0.0)
    ctx.buffer(f"last_close_{node.ident}", (Symbols(),), "f8", float("nan"))


def init(ctx: Context, node: NodePlan) -> None:
    w, j = ctx.w, node.ident
    cash = f"p[{node.container.config.cash.index}]"
    w(f"cash_{j} = {cash}")
    w(f"equity_{j} = {cash}")
    w(f"peak_{j} = {cash}")
    w(f"drawdown_{j} = 0.0")
    w(f"fb_present_{j} = 1.0")
    w(f"fb_cash_{j} = {cash}")
    w(f"fb_equity_{j} = {cash}")
    w(f"fb_drawdown_{j} = 0.0")


def before(ctx: Context, node: NodePlan) -> None:
    ctx.w(f"ran_{node.ident} = False")


def symbol(ctx: Context, node: NodePlan) -> None:
    w, j = ctx.w, node.ident
    index = ctx.layout.portfolios.index(node)
    bar = node.input(Events.BAR)
    if bar is not None:
        w(f"if {presence(ctx, bar)}:")
        with w.indent():
            w(f"ran_{j} = True")
            w(f"last_close_{j}[s] = bar_close[t, s]")
    for item in node.inputs_of(Events.FILL):
        source = ctx.plan.node(item.source)  # type: ignore[arg-type]
        xi = source.ident
        for slot in ctx.layout.fill_slots[source.path]:  # pending fills, then this step's
            ctx.kernels.add("apply_fill_nb")
            px, fee = ctx.ev(f"fpx_{xi}", slot), ctx.ev(f"fc_{xi}", slot)
            w(f"if {ctx.ev(f'fpres_{xi}', slot)}:")
            with w.indent():
                w(f"q = {ctx.ev(f'fq_{xi}', slot)}")
                w(f"pos_{j}[s], cash_{j} = apply_fill_nb(pos_{j}[s], cash_{j}, q, {px}, {fee})")
                ctx.record("fills", ("t", "s", "q", px, fee, str(index), str(ctx.layout.executions.index(source))))


def after(ctx: Context, node: NodePlan) -> None:
    w, j = ctx.w, node.ident
    index = ctx.layout.portfolios.index(node)
    mark = "mark_to_market_one_nb" if ctx.one_symbol else "mark_to_market_nb"
    ctx.kernels.update((mark, "drawdown_nb"))
    w(f"if ran_{j}:")
    with w.indent():
        if ctx.one_symbol:  # the position and close as elements, which `one_symbol` keeps in locals
            w(f"equity_{j} = mark_to_market_one_nb(cash_{j}, pos_{j}[0], last_close_{j}[0])")
        else:
            w(f"equity_{j} = mark_to_market_nb(cash_{j}, pos_{j}, last_close_{j}, S)")
        w(f"peak_{j}, drawdown_{j} = drawdown_nb(equity_{j}, peak_{j})")
    w(f"equity[t, {index}] = equity_{j}")
    w("for s in range(S):")
    with w.indent():
        w(f"if pos_{j}[s] != 0.0:")
        with w.indent():
            w("exposed[t] = True")
            w("break")
    w(f"fb_present_{j} = 1.0 if ran_{j} else 0.0")
    w(f"fb_cash_{j} = cash_{j}")
    w(f"fb_equity_{j} = equity_{j}")
    w(f"fb_drawdown_{j} = drawdown_{j}")


EMITTER = RoleEmitter(buffers=buffers, init=init, before=before, symbol=symbol, after=after)
