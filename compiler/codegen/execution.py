"""The emitter of execution containers: docs/semantics.md, section 7.

Fill slots of an execution container, per symbol: slot k < K the pending order of ORDER input
k, filled at this bar; slot 2K + k its working limit or stop order, filled at this bar; slot
K + k the order input k delivers now, where one can fill now (an exit order, or `close` fills:
`Layout.fill_slots`). The portfolio reads them in that order.
The price and cost of a fill are the money kernels' (`runtime/kernels/money.py`).
"""

from __future__ import annotations

from contextlib import nullcontext

from flowc.compiler.codegen.context import Context, RoleEmitter
from flowc.compiler.codegen.contract import Fields, Symbols
from flowc.compiler.codegen.expr import presence
from flowc.compiler.ir import ExecutionConfig, Fee
from flowc.compiler.plan import NodePlan
from flowc.compiler.schema import Events

COMMISSION = {  # the fee of a fill of `q` at `px` (after slippage), by commission model
    "percent": "commission_percent_nb(p[{slot}], q, px)",
    "per_share": "commission_per_share_nb(p[{slot}], q)",
    "fixed": "commission_fixed_nb(p[{slot}])",
}  # `per_share_tiers`: `_tier_rate`


def buffers(ctx: Context, node: NodePlan) -> None:
    k = len(node.inputs_of(Events.ORDER))
    ctx.buffer(f"pend_{node.ident}", (Fields(k), Symbols()), "f8", 0.0)
    if working(ctx, node):  # the working order of each input: quantity (0.0: none), level, bars checked
        state = (("wq", 0.0), ("wlv", float("nan")), ("wll", float("nan")), ("wtrig", 0.0), ("wage", 0.0))
        for name, start in state:  # a stop-limit's limit and whether it was triggered too
            ctx.buffer(f"{name}_{node.ident}", (Fields(k), Symbols()), "f8", start)
    if _impact(node):  # the volume of the latest closed bar of each symbol
        ctx.buffer(f"lvol_{node.ident}", (Symbols(),), "f8", float("nan"))
    if node.container.config.entry_spread is not None:  # what this container filled of each input's orders
        ctx.buffer(f"held_{node.ident}", (Fields(k), Symbols()), "f8", 0.0)
    if not ctx.layout.fused:  # else locals (`ev`)
        for name in ("fq", "fpx", "fc"):
            ctx.buffer(f"{name}_{node.ident}", (Fields(3 * k), Symbols()), "f8", 0.0)
        ctx.buffer(f"fpres_{node.ident}", (Fields(3 * k), Symbols()), "bool", False)


def sleeve(ctx: Context, node: NodePlan, slot: int) -> int:
    """The sleeve of a fill in `slot`: the index in `ledger.risks` of the risk container that sends ORDER
    input `slot % K`, the input every slot of that number fills (docs/semantics.md, section 8)."""
    orders = node.inputs_of(Events.ORDER)
    return ctx.layout.risks.index(ctx.plan.node(orders[slot % len(orders)].source))  # type: ignore[arg-type]


def _impact(node: NodePlan) -> bool:
    """Whether the container's slippage reads the volume (`volume_impact`)."""
    return node.container.config.slippage is not None and node.container.config.slippage_model == "volume_impact"


def working(ctx: Context, node: NodePlan) -> list[int]:
    """The ORDER inputs whose source sends limit or stop orders (`RiskConfig.working`)."""
    return [k for k, item in enumerate(node.inputs_of(Events.ORDER))
            if ctx.plan.node(item.source).container.config.working]  # type: ignore[arg-type]


def _exits_after_entries(ctx: Context, node: NodePlan) -> list[int]:
    """The ORDER inputs whose source sends both working entries and exit orders: an exit on the bar
    its entry filled within waits (docs/semantics.md, 7, step 3)."""
    return [k for k in working(ctx, node)
            if ctx.plan.node(node.inputs_of(Events.ORDER)[k].source).container.config.priced]  # type: ignore[arg-type]


def symbol(ctx: Context, node: NodePlan) -> None:
    w, cfg, x = ctx.w, node.container.config, node.ident
    orders = node.inputs_of(Events.ORDER)
    k_all = len(orders)
    bar = node.input(Events.BAR)
    w(f"bar = {presence(ctx, bar) if bar else 'False'}")
    if cfg.max_participation is not None:  # the units this bar's volume lets fill, shared in fill order
        ctx.kernels.add("participation_room_nb")
        w(f"room_{x} = participation_room_nb(p[{cfg.max_participation.index}], bar_volume[t, s]) if bar else 0.0")
    for k in _exits_after_entries(ctx, node):  # whether input k's working order filled past this bar's open
        w(f"within_{x}_{k} = False")
    for k in ctx.layout.fill_slots[node.path]:
        w(f"{ctx.ev(f'fpres_{x}', k)} = False")
        if ctx.layout.fused:  # locals are defined on every path
            w(f"fq_{x}_{k} = fpx_{x}_{k} = fc_{x}_{k} = 0.0")
    if orders:
        w("if bar:")
    with w.indent() if orders else nullcontext():
        for k, item in enumerate(orders):
            at_close = cfg.fill == "close" and not ctx.plan.node(item.source).container.config.at_open  # type: ignore[arg-type]
            w(f"if pend_{x}[{k}, s] != 0.0:")
            with w.indent():
                base = "bar_close[t, s]" if at_close else "bar_open[t, s]"
                fill(ctx, node, k, f"pend_{x}[{k}, s]", base, at_close=at_close)
                if cfg.rest == "keep":  # what the cap left stays pending
                    w(f"pend_{x}[{k}, s] = rest")
                else:
                    _drop(ctx, node, k, base)
                    w(f"pend_{x}[{k}, s] = 0.0")
        for k in working(ctx, node):
            _check(ctx, node, k)
    for k, item in enumerate(orders):
        source = ctx.plan.node(item.source)  # type: ignore[arg-type]
        exits = source.container.config.priced
        w(f"if {presence(ctx, item)}:")
        with w.indent():
            q = ctx.ev(f"ordq_{source.ident}")
            if source.container.config.working:
                _net(ctx, node, k, source)
                w("if oq != 0.0:")
                w.depth += 1
                q = "oq"
                w(f"if {ctx.ev(f'ordlv_{source.ident}')} == {ctx.ev(f'ordlv_{source.ident}')}:")
                with w.indent():  # a limit or stop order: it works from the next bar
                    w(f"wq_{x}[{k}, s] = wq_{x}[{k}, s] + oq")
                    w(f"wlv_{x}[{k}, s] = {ctx.ev(f'ordlv_{source.ident}')}")
                    w(f"wll_{x}[{k}, s] = {ctx.ev(f'ordll_{source.ident}')}")
                    w(f"wtrig_{x}[{k}, s] = 0.0")
                    w(f"wage_{x}[{k}, s] = 0.0")
                w("else:")
                w.depth += 1
            now = []
            if exits:  # an exit order (a market-on-close one) fills now at its price, whatever the fill mode,
                price = ctx.ev(f"ordpx_{source.ident}")  # unless its entry filled within this bar
                past = f" and (not within_{x}_{k} or {price} == bar_close[t, s])" \
                    if k in _exits_after_entries(ctx, node) else ""
                now.append((f"bar and {price} == {price}{past}", price))
            if cfg.fill == "close" and not source.container.config.at_open:
                now.append(("bar", "bar_close[t, s]"))
            assert bool(now) == (k_all + k in ctx.layout.fill_slots[node.path])
            for n, (test, price) in enumerate(now):
                w(f"{'if' if n == 0 else 'elif'} {test}:")
                with w.indent():
                    fill(ctx, node, k_all + k, q, price, at_close=price == "bar_close[t, s]")
                    if cfg.rest == "keep":  # what the cap left becomes a pending market order
                        w("if rest != 0.0:")
                        with w.indent():
                            w(f"pend_{x}[{k}, s] = pend_{x}[{k}, s] + rest")
                    else:
                        _drop(ctx, node, k, price)
            pend = f"pend_{x}[{k}, s] = pend_{x}[{k}, s] + {q}"
            if now:
                w("else:")
                with w.indent():
                    w(pend)
            else:
                w(pend)
            if source.container.config.working:
                w.depth -= 2
    if _impact(node):  # this bar has closed: its volume is known to the fills after it
        w("if bar:")
        with w.indent():
            w(f"lvol_{x}[s] = bar_volume[t, s]")


def _check(ctx: Context, node: NodePlan, k: int) -> None:
    """The working order of input k against this bar: filled, or a bar older and expired at its time in force."""
    w, x = ctx.w, node.ident
    source = ctx.plan.node(node.inputs_of(Events.ORDER)[k].source)  # type: ignore[arg-type]
    cfg = source.container.config
    kernel = f"{cfg.entry}_fill_nb"
    ctx.kernels.add(kernel)
    w(f"if wq_{x}[{k}, s] != 0.0:")
    with w.indent():
        bar = "bar_open[t, s], bar_high[t, s], bar_low[t, s]"
        if cfg.entry == "stop_limit":
            w(f"wpx, wtrig_{x}[{k}, s] = {kernel}(wq_{x}[{k}, s], wlv_{x}[{k}, s], wll_{x}[{k}, s], "
              f"wtrig_{x}[{k}, s], {bar})")
        else:
            w(f"wpx = {kernel}(wq_{x}[{k}, s], wlv_{x}[{k}, s], {bar})")
        w("if wpx == wpx:")
        with w.indent():
            fill(ctx, node, 2 * len(node.inputs_of(Events.ORDER)) + k, f"wq_{x}[{k}, s]", "wpx")
            capped = node.container.config.max_participation is not None
            if k in _exits_after_entries(ctx, node):
                w(f"within_{x}_{k} = {'q != 0.0 and ' if capped else ''}wpx != bar_open[t, s]")
            if node.container.config.rest == "keep":  # what the cap left keeps working, a bar older
                w(f"wq_{x}[{k}, s] = rest")
                w("if rest != 0.0:")
                with w.indent():
                    _older(ctx, node, k, source)
            else:
                _drop(ctx, node, k, "wpx")
                w(f"wq_{x}[{k}, s] = 0.0")
        w("else:")
        with w.indent():
            _older(ctx, node, k, source)


def _older(ctx: Context, node: NodePlan, k: int, source: NodePlan) -> None:
    """A working order checked against a bar and not filled in full: a bar older, expired at its time in force."""
    w, x, bars = ctx.w, node.ident, source.container.config.entry_bars.index  # type: ignore[union-attr]
    w(f"wage_{x}[{k}, s] = wage_{x}[{k}, s] + 1.0")
    w(f"if p[{bars}] >= 1.0 and wage_{x}[{k}, s] >= p[{bars}]:  # expired")
    with w.indent():
        ctx.record("orders", ("t", "s", f"wq_{x}[{k}, s]", f"wlv_{x}[{k}, s]", str(ctx.layout.risks.index(source)),
                              "2"))
        w(f"wq_{x}[{k}, s] = 0.0")


def _drop(ctx: Context, node: NodePlan, k: int, base: str) -> None:
    """`rest = drop`: what the participation cap left of input k's order (`rest`) is recorded `capped` at
    the fill's base price, and nothing more."""
    if node.container.config.rest != "drop":
        return
    ctx.w("if rest != 0.0:")
    with ctx.w.indent():
        ctx.record("orders", ("t", "s", "rest", base, str(sleeve(ctx, node, k)), "4"))


def _net(ctx: Context, node: NodePlan, k: int, source: NodePlan) -> None:
    """`oq`: what is left of the order input k delivers after it reduced an opposite working order (recorded)."""
    w, x = ctx.w, node.ident
    risk = str(ctx.layout.risks.index(source))
    w(f"oq = {ctx.ev(f'ordq_{source.ident}')}")
    w(f"wq = wq_{x}[{k}, s]")
    w("if wq != 0.0 and oq * wq < 0.0:  # an opposite order reduces the working one first")
    with w.indent():
        w("rest = wq + oq")
        w("if rest * wq > 0.0:")
        with w.indent():
            ctx.record("orders", ("t", "s", "-oq", f"wlv_{x}[{k}, s]", risk, "1"))
            w(f"wq_{x}[{k}, s] = rest")
            w("oq = 0.0")
        w("else:")
        with w.indent():
            ctx.record("orders", ("t", "s", "wq", f"wlv_{x}[{k}, s]", risk, "1"))
            w(f"wq_{x}[{k}, s] = 0.0")
            w("oq = rest")


def fill(ctx: Context, node: NodePlan, slot: int, quantity: str, price: str, at_close: bool = False) -> None:
    """One fill of `quantity` at base `price` into a fill slot: the participation cap first (`q` what
    fills, none if 0.0, and `rest`), then slippage, the entry spread and commission. A fill `at_close`
    knows this bar's volume; any other, the volume of the bar before."""
    w, cfg, x = ctx.w, node.container.config, node.ident
    w(f"q = {quantity}")
    w(f"px = {price}")
    if cfg.max_participation is not None:  # `q` the part within the room left, `rest` the part not
        ctx.kernels.add("capped_nb")
        w("rest = q")
        w(f"q = capped_nb(q, room_{x})")
        w(f"room_{x} = room_{x} - abs(q)")
        w("rest = rest - q")
        w("if q != 0.0:")
        w.depth += 1
    if _impact(node):
        ctx.kernels.add("volume_impact_nb")
        volume = "bar_volume[t, s]" if at_close else f"lvol_{x}[s]"
        w(f"px = volume_impact_nb(px, q, p[{cfg.slippage.index}], {volume})")
    elif cfg.slippage is not None:
        ctx.kernels.add("slipped_nb")
        w(f"px = slipped_nb(px, q, p[{cfg.slippage.index}])")
    if cfg.entry_spread is not None:  # on the part that opens or grows what this input's orders filled here
        ctx.kernels.add("entry_spread_nb")
        k = slot % len(node.inputs_of(Events.ORDER))
        w(f"px = entry_spread_nb(px, q, held_{x}[{k}, s], p[{cfg.entry_spread.index}])")
        w(f"held_{x}[{k}, s] = held_{x}[{k}, s] + q")
    commission(ctx, cfg)
    for name, value in (("fq", "q"), ("fpx", "px"), ("fc", "fee"), ("fpres", "True")):
        w(f"{ctx.ev(f'{name}_{x}', slot)} = {value}")
    if cfg.max_participation is not None:
        w.depth -= 1


def commission(ctx: Context, cfg: ExecutionConfig) -> None:
    """`fee`: the commission of a fill of `q` at `px` (after slippage), by the container's model."""
    w = ctx.w
    w("fee = 0.0")
    for k, term in enumerate(cfg.commission):  # the terms summed left to right, the first as it is
        fee = _tier_rate(ctx, term) if term.kind == "per_share_tiers" else \
            COMMISSION[term.kind].format(slot=term.rate.index)
        ctx.kernels.add(fee.split("(")[0])
        w(f"fee = {fee}" if k == 0 else f"fee = fee + {fee}")
    if cfg.min_commission is not None:
        ctx.kernels.add("commission_floor_nb")
        w(f"fee = commission_floor_nb(fee, p[{cfg.min_commission.index}])")
    if cfg.max_commission is not None:
        cap = COMMISSION[cfg.max_commission.kind].format(slot=cfg.max_commission.rate.index)
        ctx.kernels.update(("commission_cap_nb", cap.split("(")[0]))
        w(f"fee = commission_cap_nb(fee, {cap})")


def _tier_rate(ctx: Context, term: Fee) -> str:
    """`tier`: the per-share rate of the last tier of `per_share_tiers` that a fill of `q` reaches, the
    first tier's rate as it is, then each later tier's if `abs(q)` reaches its size; the term's fee."""
    ctx.kernels.add("tier_rate_nb")
    ctx.w(f"tier = p[{term.rate.index}]")
    for size, rate in term.tiers:
        ctx.w(f"tier = tier_rate_nb(tier, q, p[{size.index}], p[{rate.index}])")
    return "commission_per_share_nb(tier, q)"


EMITTER = RoleEmitter(buffers=buffers, symbol=symbol)
