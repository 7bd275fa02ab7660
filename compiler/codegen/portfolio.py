"""The emitter of portfolio containers: docs/semantics.md, section 8.

Fills and marking to market are the money kernels' (`runtime/kernels/money.py`). With buying
power (`buying_power = cut | reject`) the fills of a step are applied after the loop over the
symbols, in two passes: the sells, then the buys, each cut to what the cash pays for, and with a
`max_leverage` every fill first cut to what the gross exposure allows. Where a data container
declares futures (section 8b), a futures fill posts margin and settles the position to its price,
each step settles the futures positions to the closes, and with buying power an order's opening
contracts meet the cash, sells too; a program without futures has none of this code.
"""

from __future__ import annotations

from flowc.compiler.codegen.context import Context, RoleEmitter
from flowc.compiler.codegen.contract import Symbols
from flowc.compiler.codegen.execution import commission, sleeve
from flowc.compiler.codegen.expr import presence
from flowc.compiler.contracts import has_futures
from flowc.compiler.ir import Fee, Slot
from flowc.compiler.plan import NodePlan
from flowc.compiler.schema import Events, Roles

CUT = "3"  # the status of an order record of the part of a fill the cash or the leverage limit did not allow


def yearly(node: NodePlan) -> bool:
    """Whether a carry of the portfolio is a yearly rate, charged for the time since its previous run."""
    cfg = node.container.config
    return cfg.interest_yearly or cfg.borrow_fee_yearly


def _carry_rate(node: NodePlan, slot: Slot, per_year: bool) -> str:
    """A carry's rate as a fraction of this step: `p / 100.0`, times the years elapsed for a yearly rate."""
    return f"p[{slot.index}] / 100.0 * years_{node.ident}" if per_year else f"p[{slot.index}] / 100.0"


def checks_cash(node: NodePlan) -> bool:
    return node.container.config.buying_power != "none"


def leverage(node: NodePlan) -> str | None:
    """The generated expression of the portfolio's `max_leverage`, None without one."""
    slot = node.container.config.max_leverage
    return None if slot is None else f"p[{slot.index}]"


def futures(ctx: Context) -> bool:
    """Whether the program has futures symbols (a data container declares a contract)."""
    return has_futures([n.container for n in ctx.plan.of_role(Roles.DATA)])


def unit_value(ctx: Context, price: str) -> str:
    """What one unit of symbol `s` is worth at `price`: the price, times the multiplier with futures."""
    return f"{price} * contract_multiplier[s]" if futures(ctx) else price


def contract_buffers(ctx: Context) -> None:
    """Each symbol's contract, for the program (compiler/contracts.py): 1.0 for a future, its multiplier, its margin."""
    for name, fill in (("future", 0.0), ("multiplier", 1.0), ("margin", 0.0)):
        ctx.buffer(f"contract_{name}", (Symbols(),), "f8", fill)


def contracts(ctx: Context) -> None:
    """Each symbol's contract from the data container that owns it: `symbol_contracts` in the program."""
    w = ctx.w
    w("for s in range(S):")
    with w.indent():
        for k, data in enumerate(ctx.plan.of_role(Roles.DATA)):
            contract = data.container.config.contract  # type: ignore[union-attr]
            if contract is not None:
                w(f"if owner[s] == {k}:")
                with w.indent():
                    w("contract_future[s] = 1.0")
                    w(f"contract_multiplier[s] = p[{contract.multiplier.index}]")
                    w(f"contract_margin[s] = p[{contract.margin.index}]")


def buffers(ctx: Context, node: NodePlan) -> None:
    ctx.buffer(f"pos_{node.ident}", (Symbols(),), "f8", 0.0)
    ctx.buffer(f"last_close_{node.ident}", (Symbols(),), "f8", float("nan"))
    if leverage(node) is not None:  # each symbol's gross exposure (section 8, leverage)
        ctx.buffer(f"expo_{node.ident}", (Symbols(),), "f8", 0.0)
    if futures(ctx):  # the price a futures position was last settled at
        ctx.buffer(f"mark_{node.ident}", (Symbols(),), "f8", float("nan"))


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
    w(f"held_{j} = 0  # the positions start flat (a fresh `pos_`)")
    if not ctx.one_symbol and not futures(ctx):
        w(f"worth_{j} = np.empty(S)  # `mark_to_market_nb`'s scratch")
    if yearly(node):
        w(f"when_{j} = np.nan  # the time of the portfolio's previous run (section 8, carry)")
    if checks_cash(node):
        for item in node.inputs_of(Events.FILL):
            _cost_terms(ctx, ctx.plan.node(item.source))  # type: ignore[arg-type]


def before(ctx: Context, node: NodePlan) -> None:
    w, j = ctx.w, node.ident
    w(f"ran_{j} = False")
    if leverage(node) is not None:  # the exposure at the end of the previous step, at its last closes
        ctx.kernels.add("held_value_nb")
        w("for s in range(S):")
        with w.indent():
            w(f"expo_{j}[s] = held_value_nb(pos_{j}[s], {unit_value(ctx, f'last_close_{j}[s]')})")


def symbol(ctx: Context, node: NodePlan) -> None:
    w, j = ctx.w, node.ident
    bar = node.input(Events.BAR)
    if bar is not None:
        w(f"if {presence(ctx, bar)}:")
        with w.indent():
            w(f"ran_{j} = True")
            w(f"last_close_{j}[s] = bar_close[t, s]")
    if not checks_cash(node):
        _fills(ctx, node, "")


def _fills(ctx: Context, node: NodePlan, side: str) -> None:
    """Apply and record the fills of symbol `s` (FILL input order, then fill order); with `side`
    (`< 0.0`, `> 0.0`) only the sells or the buys, each cut to what the leverage limit allows and a buy
    to what the cash pays for."""
    w, j = ctx.w, node.ident
    index = ctx.layout.portfolios.index(node)
    for item in node.inputs_of(Events.FILL):
        source = ctx.plan.node(item.source)  # type: ignore[arg-type]
        xi = source.ident
        for slot in ctx.layout.fill_slots[source.path]:  # pending fills, then this step's
            ctx.kernels.add("apply_fill_nb")
            fq, px, fee = ctx.ev(f"fq_{xi}", slot), ctx.ev(f"fpx_{xi}", slot), ctx.ev(f"fc_{xi}", slot)
            w(f"if {ctx.ev(f'fpres_{xi}', slot)}{f' and {fq} {side}' if side else ''}:")
            with w.indent():
                w(f"ran_{j} = True  # a fill delivered runs the portfolio, with or without a bar (section 8)")
                w(f"q = {fq}")
                buy = side.startswith(">")
                limited = buy or leverage(node) is not None or (bool(side) and futures(ctx))
                if limited:
                    _cut(ctx, node, source, slot, buy)
                    px, fee = "px", "fee"
                _apply(ctx, node, px, fee)
                ctx.record("fills", ("t", "s", "q", px, fee, str(index), str(ctx.layout.executions.index(source)),
                                     str(sleeve(ctx, source, slot))))
                if leverage(node) is not None:
                    w(f"expo_{j}[s] = held_value_nb(pos_{j}[s], {unit_value(ctx, 'px')})")
                if limited:
                    w.depth -= 1


def _apply(ctx: Context, node: NodePlan, px: str, fee: str) -> None:
    """The fill of `q` at `px` for `fee` into the position and cash, and the count of symbols held.

    The count (`held_`) is the step's exposure without a loop over the symbols: a fill is the
    only thing that changes a position.
    """
    w, j = ctx.w, node.ident
    w(f"held_{j} -= int(pos_{j}[s] != 0.0)")
    _position(ctx, node, px, fee)
    w(f"held_{j} += int(pos_{j}[s] != 0.0)")


def _position(ctx: Context, node: NodePlan, px: str, fee: str) -> None:
    """The fill into the position and cash; a futures fill settles and posts margin."""
    w, j = ctx.w, node.ident
    stock = f"pos_{j}[s], cash_{j} = apply_fill_nb(pos_{j}[s], cash_{j}, q, {px}, {fee})"
    if not futures(ctx):
        w(stock)
        return
    ctx.kernels.add("futures_fill_nb")
    w("if contract_future[s] != 0.0:")
    with w.indent():
        w(f"pos_{j}[s], cash_{j} = futures_fill_nb(pos_{j}[s], cash_{j}, q, {px}, {fee}, mark_{j}[s], "
          "contract_multiplier[s], contract_margin[s])")
        w(f"mark_{j}[s] = {px}")
    w("else:")
    with w.indent():
        w(stock)


def _cut(ctx: Context, node: NodePlan, source: NodePlan, slot: int, buy: bool) -> None:
    """An order of `q` against the leverage limit, and a buy against the cash: what fills of it (`q`,
    its `fee` recomputed if cut), the rest recorded as cut; opens a block, `if q > 0.0:` (a sell's
    `if q < 0.0:`), that the caller closes."""
    w, j, xi = ctx.w, node.ident, source.ident
    ctx.kernels.add("bought_nb")
    reject = node.container.config.buying_power == "reject"
    wanted = ctx.ev(f"fq_{xi}", slot)
    w(f"px = {ctx.ev(f'fpx_{xi}', slot)}")
    w(f"fee = {ctx.ev(f'fc_{xi}', slot)}")
    limit = leverage(node)
    if limit is not None:
        ctx.kernels.update(("leveraged_nb", "exposure_nb"))
        w(f"q = leveraged_nb(q, pos_{j}[s], {unit_value(ctx, 'px')}, {limit}, equity_{j}, "
          f"exposure_nb(expo_{j}, s, S), {reject})")
    if futures(ctx):  # a futures order's opening contracts against the cash, a sell's too
        ctx.kernels.add("margined_nb")
        w("if contract_future[s] != 0.0:")
        with w.indent():
            w(f"q = margined_nb(q, pos_{j}[s], cash_{j}, contract_margin[s], px, rate_{xi}, per_share_{xi}, "
              f"fixed_{xi}, minimum_{xi}, {reject})")
        if buy:
            w("else:")
            with w.indent():
                _affordable(ctx, node, source, reject)
    elif buy:
        _affordable(ctx, node, source, reject)
    w(f"if q {'<' if buy else '>'} {wanted}:")
    with w.indent():
        w(f"cut = {wanted} - q")
        ctx.record("orders", ("t", "s", "cut", "px", str(sleeve(ctx, source, slot)), CUT))
        commission(ctx, source.container.config)
    w(f"if q {'>' if buy else '<'} 0.0:")
    w.depth += 1


def _affordable(ctx: Context, node: NodePlan, source: NodePlan, reject: bool) -> None:
    """A buy of `q` against the cash: what fills of it, 0.0 if none."""
    w, j, xi = ctx.w, node.ident, source.ident
    ctx.kernels.add("affordable_nb")
    w(f"n = affordable_nb(cash_{j}, px, rate_{xi}, per_share_{xi}, fixed_{xi}, minimum_{xi})")
    w(f"q = bought_nb(q, n, {reject})")
    w("if not q > 0.0:  # nothing fills")
    with w.indent():
        w("q = 0.0")


def _cost_terms(ctx: Context, source: NodePlan) -> None:
    """An execution's commission as the affordable-units rule reads it: the percent terms' rates,
    per-share fees (a tiered term's highest rate) and fixed fees, each summed left to right from 0.0,
    and the minimum (NaN: none)."""
    w, xi, cfg = ctx.w, source.ident, source.container.config
    for name, kinds in (("rate", ("percent",)), ("per_share", ("per_share", "per_share_tiers")),
                        ("fixed", ("fixed",))):
        w(f"{name}_{xi} = 0.0")
        for fee in cfg.commission:
            if fee.kind in kinds:
                w(f"{name}_{xi} = {name}_{xi} + {_cost_rate(fee)}")
    minimum = cfg.min_commission
    w(f"minimum_{xi} = {'np.nan' if minimum is None else f'p[{minimum.index}]'}")


def _cost_rate(fee: Fee) -> str:
    """A term's number in the affordable-units rule: a percent as a fraction, a tiered term's highest rate."""
    rates = [f"p[{rate.index}]" for rate in fee.rates]
    if fee.kind == "percent":
        return f"{rates[0]} / 100.0"
    return rates[0] if len(rates) == 1 else f"max({', '.join(rates)})"


def after(ctx: Context, node: NodePlan) -> None:
    w, j = ctx.w, node.ident
    index = ctx.layout.portfolios.index(node)
    if checks_cash(node):
        for side in ("< 0.0", "> 0.0"):  # the sells, then the buys
            w("for s in range(S):")
            with w.indent():
                _fills(ctx, node, side)
    mark = "mark_to_market_one_nb" if ctx.one_symbol else "mark_to_market_nb"
    if futures(ctx):
        mark = "mark_to_market_futures_nb"
    ctx.kernels.update((mark, "drawdown_nb"))
    w(f"if ran_{j}:")
    with w.indent():
        cfg = node.container.config
        if futures(ctx):  # the futures positions' variation margin, to the last closes (section 8b)
            ctx.kernels.add("settle_futures_nb")
            w(f"cash_{j} = settle_futures_nb(cash_{j}, pos_{j}, last_close_{j}, mark_{j}, contract_future, "
              "contract_multiplier, S)")
        if yearly(node):  # the years since the previous run (none at the first)
            ctx.kernels.add("years_nb")
            w(f"years_{j} = years_nb(bar_time[t], when_{j})")
            w(f"when_{j} = bar_time[t]")
        if cfg.interest is not None:  # the step's carry, on the cash after the fills (section 8)
            ctx.kernels.add("interest_nb")
            w(f"cash_{j} = interest_nb(cash_{j}, {_carry_rate(node, cfg.interest, cfg.interest_yearly)})")
        if cfg.borrow_fee is not None:
            rate = _carry_rate(node, cfg.borrow_fee, cfg.borrow_fee_yearly)
            if futures(ctx):  # a short future borrows nothing
                ctx.kernels.add("borrow_fee_stocks_nb")
                w(f"cash_{j} = borrow_fee_stocks_nb(cash_{j}, pos_{j}, last_close_{j}, contract_future, {rate}, S)")
            else:
                ctx.kernels.add("borrow_fee_nb")
                w(f"cash_{j} = borrow_fee_nb(cash_{j}, pos_{j}, last_close_{j}, {rate}, S)")
        if futures(ctx):
            w(f"equity_{j} = mark_to_market_futures_nb(cash_{j}, pos_{j}, last_close_{j}, contract_future, "
              "contract_margin, S)")
        elif ctx.one_symbol:  # the position and close as elements, which `one_symbol` keeps in locals
            w(f"equity_{j} = mark_to_market_one_nb(cash_{j}, pos_{j}[0], last_close_{j}[0])")
        else:
            w(f"equity_{j} = mark_to_market_nb(cash_{j}, pos_{j}, last_close_{j}, S, worth_{j})")
        w(f"peak_{j}, drawdown_{j} = drawdown_nb(equity_{j}, peak_{j})")
    w(f"equity[t, {index}] = equity_{j}")
    if futures(ctx):
        w(f"settled[t, {index}] = cash_{j}")
    w(f"if held_{j} > 0:")
    with w.indent():
        w("exposed[t] = True")
    w(f"fb_present_{j} = 1.0 if ran_{j} else 0.0")
    w(f"fb_cash_{j} = cash_{j}")
    w(f"fb_equity_{j} = equity_{j}")
    w(f"fb_drawdown_{j} = drawdown_{j}")


EMITTER = RoleEmitter(buffers=buffers, init=init, before=before, symbol=symbol, after=after)
