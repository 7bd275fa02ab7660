"""The emitter of execution containers: docs/semantics.md, section 7.

Fill slots of an execution container, per symbol: slot k < K the pending order of ORDER input
k, filled at this bar; slot K + k the order input k delivers now, where one can fill now (an
exit order, or `close` fills: `Layout.fill_slots`). The portfolio reads them in that order.
The price and cost of a fill are the money kernels' (`runtime/kernels/money.py`).
"""

from __future__ import annotations

from flowc.compiler.codegen.context import Context, RoleEmitter
from flowc.compiler.codegen.contract import Fields, Symbols
from flowc.compiler.codegen.expr import presence
from flowc.compiler.plan import NodePlan
from flowc.compiler.schema import Events

COMMISSION = {  # the fee of a fill of `q` at `px` (after slippage), by commission model
    "percent": "commission_percent_nb(p[{slot}], q, px)",
    "per_share": "commission_per_share_nb(p[{slot}], q)",
    "fixed": "commission_fixed_nb(p[{slot}])",
}


def buffers(ctx: Context, node: NodePlan) -> None:
    k = len(node.inputs_of(Events.ORDER))
    ctx.buffer(f"pend_{node.ident}", (Fields(k), Symbols()), "f8", 0.0)
    if not ctx.layout.fused:  # else locals (`ev`)
        for name in ("fq", "fpx", "fc"):
            ctx.buffer(f"{name}_{node.ident}", (Fields(2 * k), Symbols()), "f8", 0.0)
        ctx.buffer(f"fpres_{node.ident}", (Fields(2 * k), Symbols()), "bool", False)


def symbol(ctx: Context, node: NodePlan) -> None:
    w, cfg, x = ctx.w, node.container.config, node.ident
    orders = node.inputs_of(Events.ORDER)
    k_all = len(orders)
    bar = node.input(Events.BAR)
    w(f"bar = {presence(ctx, bar) if bar else 'False'}")
    for k in ctx.layout.fill_slots[node.path]:
        w(f"{ctx.ev(f'fpres_{x}', k)} = False")
        if ctx.layout.fused:  # locals are defined on every path
            w(f"fq_{x}_{k} = fpx_{x}_{k} = fc_{x}_{k} = 0.0")
    w("if bar:")
    with w.indent():
        base = "bar_open[t, s]" if cfg.fill == "next_open" else "bar_close[t, s]"
        for k in range(k_all):
            w(f"if pend_{x}[{k}, s] != 0.0:")
            with w.indent():
                fill(ctx, node, k, f"pend_{x}[{k}, s]", base)
                w(f"pend_{x}[{k}, s] = 0.0")
    for k, item in enumerate(orders):
        source = ctx.plan.node(item.source)  # type: ignore[arg-type]
        exits = source.container.config.has_exits
        w(f"if {presence(ctx, item)}:")
        with w.indent():
            q = ctx.ev(f"ordq_{source.ident}")
            now = []
            if exits:  # an exit order fills now at its price, whatever the fill mode
                price = ctx.ev(f"ordpx_{source.ident}")
                now.append((f"bar and {price} == {price}", price))
            if cfg.fill == "close":
                now.append(("bar", "bar_close[t, s]"))
            assert bool(now) == (k_all + k in ctx.layout.fill_slots[node.path])
            for n, (test, price) in enumerate(now):
                w(f"{'if' if n == 0 else 'elif'} {test}:")
                with w.indent():
                    fill(ctx, node, k_all + k, q, price)
            pend = f"pend_{x}[{k}, s] = pend_{x}[{k}, s] + {q}"
            if now:
                w("else:")
                with w.indent():
                    w(pend)
            else:
                w(pend)


def fill(ctx: Context, node: NodePlan, slot: int, quantity: str, price: str) -> None:
    """One fill of `quantity` at base `price` into a fill slot: slippage first, then commission."""
    w, cfg, x = ctx.w, node.container.config, node.ident
    w(f"q = {quantity}")
    w(f"px = {price}")
    if cfg.slippage is not None:
        ctx.kernels.add("slipped_nb")
        w(f"px = slipped_nb(px, q, p[{cfg.slippage.index}])")
    w("fee = 0.0")
    for k, term in enumerate(cfg.commission):  # the terms summed left to right, the first as it is
        fee = COMMISSION[term.kind].format(slot=term.rate.index)
        ctx.kernels.add(fee.split("(")[0])
        w(f"fee = {fee}" if k == 0 else f"fee = fee + {fee}")
    if cfg.min_commission is not None:
        ctx.kernels.add("commission_floor_nb")
        w(f"fee = commission_floor_nb(fee, p[{cfg.min_commission.index}])")
    if cfg.max_commission is not None:
        cap = COMMISSION[cfg.max_commission.kind].format(slot=cfg.max_commission.rate.index)
        ctx.kernels.update(("commission_cap_nb", cap.split("(")[0]))
        w(f"fee = commission_cap_nb(fee, {cap})")
    for name, value in (("fq", "q"), ("fpx", "px"), ("fc", "fee"), ("fpres", "True")):
        w(f"{ctx.ev(f'{name}_{x}', slot)} = {value}")


EMITTER = RoleEmitter(buffers=buffers, symbol=symbol)
