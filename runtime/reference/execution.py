"""The execution container: pending orders, fills at the open or the close, slippage and commission.

Implements `docs/semantics.md`, section 7 (Execution).
"""

from __future__ import annotations

from flowc.compiler.ir import BoundContainer, Fee
from flowc.compiler.schema import Events
from flowc.runtime.reference.arithmetic import sign
from flowc.runtime.reference.expressions import Record
from flowc.runtime.reference.network import ContainerInput, Emitted, Network


class Execution:
    def __init__(self, net: Network, bound: BoundContainer, inputs: list[ContainerInput]):
        self.net = net
        self.config = bound.config
        self.bar = next((i for i in inputs if i.event == Events.BAR), None)
        self.orders = [i for i in inputs if i.event == Events.ORDER]
        self.pending: list[list[float | None]] = [[None] * net.market.n_symbols for _ in self.orders]

    def step(self, t: int) -> Emitted:
        return [self._symbol(s) for s in range(self.net.market.n_symbols)]

    def _symbol(self, s: int) -> list[Record]:
        arrived = [[(e["quantity"], e["price"]) for e in self.net.deliver(inp, s)] for inp in self.orders]
        bars = self.net.deliver(self.bar, s) if self.bar is not None else []
        fills: list[Record] = []
        at_close = self.config.fill == "close"
        if bars:
            base = bars[0]["close" if at_close else "open"]
            for pending in self.pending:
                if pending[s] is not None:
                    fills.append(self._fill(pending[s], base))
                    pending[s] = None
        for pending, orders in zip(self.pending, arrived, strict=True):
            for q, price in orders:
                if bars and price == price:  # an exit order fills now at its price, whatever the fill mode
                    fills.append(self._fill(q, price))
                elif bars and at_close:
                    fills.append(self._fill(q, bars[0]["close"]))
                else:
                    netted = q if pending[s] is None else pending[s] + q
                    pending[s] = netted if netted != 0.0 else None
        return fills

    def _fill(self, q: float, base: float) -> Record:
        c, params = self.config, self.net.params
        price = base
        if c.slippage is not None:
            price = base + sign(q) * ((params[c.slippage.index] / 10000.0) * base)
        commission = 0.0
        for k, term in enumerate(c.commission):  # the terms summed left to right, the first as it is
            fee = _fee(term, params, q, price)
            commission = fee if k == 0 else commission + fee
        if c.min_commission is not None and commission < params[c.min_commission.index]:
            commission = params[c.min_commission.index]
        if c.max_commission is not None:
            cap = _fee(c.max_commission, params, q, price)
            if commission > cap:
                commission = cap
        return {"quantity": q, "price": price, "commission": commission}


def _fee(term: Fee, params, q: float, price: float) -> float:
    rate = params[term.rate.index]
    return {"percent": rate / 100.0 * abs(q) * price, "per_share": rate * abs(q), "fixed": rate}[term.kind]
