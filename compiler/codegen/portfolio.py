"""The emitter of portfolio containers: docs/semantics.md, section 8."""

from __future__ import annotations

from flowc.compiler.codegen.context import Context, RoleEmitter
from flowc.compiler.codegen.contract import Symbols
from flowc.compiler.codegen.expr import presence
from flowc.compiler.plan import NodePlan


def buffers(ctx: Context, node: NodePlan) -> None:
    ctx.buffer(f"pos_{node.ident}", (Symbols(),), "f8", 0.0)
    ctx.buffer(f"lastc_{node.ident}", (Symbols(),), "f8", float("nan"))


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
    bar = node.input("BAR")
    if bar is not None:
        w(f"if {presence(ctx, bar)}:")
        with w.indent():
            w(f"ran_{j} = True")
            w(f"lastc_{j}[s] = bar_close[t, s]")
    for item in node.inputs_of("FILL"):
        source = ctx.plan.node(item.source)  # type: ignore[arg-type]
        xi = source.ident
        for slot in range(2 * len(source.inputs_of("ORDER"))):  # pending fills, then this step's
            px, fee = ctx.ev(f"fpx_{xi}", slot), ctx.ev(f"fc_{xi}", slot)
            w(f"if {ctx.ev(f'fpres_{xi}', slot)}:")
            with w.indent():
                w(f"q = {ctx.ev(f'fq_{xi}', slot)}")
                w(f"pos_{j}[s] = pos_{j}[s] + q")
                w(f"cash_{j} = cash_{j} - (q * {px} + {fee})")
                ctx.record("fills", ("t", "s", "q", px, fee, str(index), str(ctx.layout.executions.index(source))))


def after(ctx: Context, node: NodePlan) -> None:
    w, j = ctx.w, node.ident
    index = ctx.layout.portfolios.index(node)
    w(f"if ran_{j}:")
    with w.indent():
        w(f"eq = cash_{j}")
        w("for s in range(S):")
        with w.indent():
            w(f"if pos_{j}[s] != 0.0:")
            with w.indent():
                w(f"eq = eq + pos_{j}[s] * lastc_{j}[s]")
        w(f"equity_{j} = eq")
        w(f"if eq > peak_{j}:")
        with w.indent():
            w(f"peak_{j} = eq")
        w(f"drawdown_{j} = 1.0 - eq / peak_{j}")
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
