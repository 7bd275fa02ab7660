"""The portfolio container: cash, positions, equity and drawdown from the fills and the closes.

Implements `docs/semantics.md`, section 8 (Portfolio), with its buying power and futures (8b).
"""

from __future__ import annotations

from flowc.compiler.ir import BoundContainer, ExecutionConfig
from flowc.compiler.schema import Events
from flowc.runtime.reference.arithmetic import NAN, div, floor
from flowc.runtime.reference.calendar_fields import seconds
from flowc.runtime.reference.execution import commission
from flowc.runtime.reference.network import ContainerInput, Emitted, Network
from flowc.runtime.reference.risk import CUT


class Portfolio:
    def __init__(self, net: Network, bound: BoundContainer, inputs: list[ContainerInput], index: int,
                 executions: tuple[str, ...], fills: list[tuple], orders: list[tuple]):
        self.net, self.index, self.fills, self.orders = net, index, fills, orders
        self.future, self.multiplier, self.margin = net.contracts  # per symbol (compiler/contracts.py)
        self.bar = next((i for i in inputs if i.event == Events.BAR), None)
        self.fill_inputs = [(executions.index(i.source), i) for i in inputs if i.event == Events.FILL]
        self.costs = {executions.index(i.source): net.binding.containers[i.source].config
                      for i in inputs if i.event == Events.FILL}
        self.buying_power = bound.config.buying_power
        leverage = bound.config.max_leverage
        self.leverage = None if leverage is None else net.params[leverage.index]
        self.interest, self.borrow_fee = (None if slot is None else net.params[slot.index] / 100.0
                                          for slot in (bound.config.interest, bound.config.borrow_fee))
        self.yearly = (bound.config.interest_yearly, bound.config.borrow_fee_yearly)
        self.when = NAN  # the time of the previous run, for a yearly carry
        n = net.market.n_symbols
        self.cash0 = net.params[bound.config.cash.index]
        self.cash = self.equity = self.peak = self.cash0
        self.drawdown = 0.0
        self.position = [0.0] * n
        self.last_close = [NAN] * n
        self.mark = [NAN] * n  # the price a futures position was last settled at
        self.exposure = [0.0] * n  # each symbol's gross exposure, with a leverage limit
        net.starting[bound.path] = {"cash": self.cash0, "equity": self.cash0, "drawdown": 0.0, "position": 0.0}

    def step(self, t: int) -> Emitted:
        n = self.net.market.n_symbols
        bars = [self.net.deliver(self.bar, s) if self.bar is not None else [] for s in range(n)]
        received = [[(x, e) for x, inp in self.fill_inputs for e in self.net.deliver(inp, s)] for s in range(n)]
        if not any(bars) and not any(received):
            return [[] for _ in range(n)]
        if self.leverage is not None:  # the exposure at the end of the previous step, at its last closes
            self.exposure = [_held_value(self.position[s], self.last_close[s] * self.multiplier[s]) for s in range(n)]
        for s in range(n):
            if bars[s]:
                self.last_close[s] = bars[s][0]["close"]
        if self.buying_power == "none":
            for s in range(n):
                for execution, fill in received[s]:
                    self._apply(t, s, execution, fill, fill["quantity"], fill["commission"])
        else:  # the sells, then the buys, each cut to what the leverage limit allows and the cash pays for
            for s in range(n):
                for execution, fill in received[s]:
                    if fill["quantity"] < 0.0:
                        self._limited(t, s, execution, fill, False)
            for s in range(n):
                for execution, fill in received[s]:
                    if fill["quantity"] > 0.0:
                        self._limited(t, s, execution, fill, True)
        for s in range(n):  # the futures positions' variation margin, to the last closes
            if self.future[s] and self.position[s] != 0.0 and self.last_close[s] == self.last_close[s]:
                self.cash = self.cash + self.position[s] * (self.last_close[s] - self.mark[s]) * self.multiplier[s]
                self.mark[s] = self.last_close[s]
        self._carry(t)
        equity = self.cash
        for s in range(n):
            if self.position[s] != 0.0:
                if self.future[s]:  # its gains and losses are in the cash; the margin it holds is its value
                    equity = equity + abs(self.position[s]) * self.margin[s]
                else:
                    equity = equity + self.position[s] * self.last_close[s]
        self.equity = equity
        if equity > self.peak:
            self.peak = equity
        self.drawdown = 1.0 - div(equity, self.peak)
        return [[{"cash": self.cash, "equity": equity, "drawdown": self.drawdown, "position": self.position[s]}]
                for s in range(n)]

    def _carry(self, t: int) -> None:
        """The step's carry on the cash after the fills: a rate per bar as it is, a yearly rate times the
        years since the previous run (actual/365; none at the first run)."""
        years = 0.0
        if any(self.yearly):
            now = seconds(self.net.market.timestamps[t])
            years = 0.0 if self.when != self.when else (now - self.when) / 31536000.0
            self.when = now
        if self.interest is not None:
            rate = self.interest * years if self.yearly[0] else self.interest
            self.cash = self.cash + self.cash * rate
        if self.borrow_fee is not None:
            rate = self.borrow_fee * years if self.yearly[1] else self.borrow_fee
            for s in range(len(self.position)):
                if self.position[s] < 0.0 and not self.future[s]:  # a short future borrows nothing
                    self.cash = self.cash - ((0.0 - self.position[s]) * self.last_close[s]) * rate

    def _apply(self, t: int, s: int, execution: int, fill: dict[str, float], q: float, fee: float) -> None:
        """`q` units of `fill` at its price for `fee` (all of it, or the part the limits allowed)."""
        price = fill["price"]
        if self.future[s]:  # settled to the fill price, the margin of the change posted, no notional paid
            before = self.position[s]
            if before != 0.0:
                self.cash = self.cash + before * (price - self.mark[s]) * self.multiplier[s]
            self.position[s] = before + q
            self.cash = self.cash - ((abs(self.position[s]) - abs(before)) * self.margin[s] + fee)
            self.mark[s] = price
        else:
            self.position[s] = self.position[s] + q
            self.cash = self.cash - (q * price + fee)
        self.fills.append((t, s, q, price, fee, self.index, execution, fill["risk"]))
        if self.leverage is not None:
            self.exposure[s] = _held_value(self.position[s], price * self.multiplier[s])

    def _limited(self, t: int, s: int, execution: int, fill: dict[str, float], buy: bool) -> None:
        """An order against the leverage limit, then a buy (a futures order: the contracts it opens) against
        the cash: the units they allow, with their commission; the rest recorded as cut."""
        wanted, price, fee = fill["quantity"], fill["price"], fill["commission"]
        q = wanted
        if self.leverage is not None:
            q = self._leveraged(s, q, price * self.multiplier[s])
        if self.future[s]:
            q = self._margined(s, q, self.costs[execution], price)
        elif buy:
            n = self._affordable(self.costs[execution], price)
            if not q <= n:
                q = 0.0 if self.buying_power == "reject" else n
            if not q > 0.0:
                q = 0.0
        if (q < wanted) if buy else (q > wanted):
            self.orders.append((t, s, wanted - q, price, fill["risk"], CUT))
            fee = commission(self.costs[execution], self.net.params, q, price)
        if (q > 0.0) if buy else (q < 0.0):
            self._apply(t, s, execution, fill, q, fee)

    def _leveraged(self, s: int, q: float, price: float) -> float:
        """The order's units the gross leverage limit allows (section 8), with the order's sign."""
        others = 0.0
        for r in range(len(self.exposure)):
            if r != s:
                others = others + self.exposure[r]
        room = div(self.leverage * self.equity - others, price)
        position = self.position[s]
        if q > 0.0:
            a, least = floor(room - position), (0.0 - position if position < 0.0 else 0.0)
        else:
            a, least = floor(room + position), (position if position > 0.0 else 0.0)
        if not a >= least:
            a = least
        size = abs(q)
        if not size <= a:
            size = 0.0 if self.buying_power == "reject" else a
        return size if q > 0.0 else 0.0 - size

    def _affordable(self, c: ExecutionConfig, price: float) -> float:
        """`floor((cash - fixed) / (price * (1.0 + rate) + per_share))`, at most `floor((cash - minimum) / price)`;
        a tiered per-share term counts at its highest rate, so no tier the fill falls in overspends."""
        rate, per_share, fixed = self._cost_terms(c)
        n = floor(div(self.cash - fixed, price * (1.0 + rate) + per_share))
        if c.min_commission is not None:
            m = floor(div(self.cash - self.net.params[c.min_commission.index], price))
            if m < n:
                n = m
        return n

    def _margined(self, s: int, q: float, c: ExecutionConfig, price: float) -> float:
        """A futures order's units (section 8b): those that close part of the position, and of those that
        open, at most `floor((cash - fixed) / (margin + price * rate + per_share))` (with a minimum
        commission, at most `floor((cash - minimum) / margin)`); the order's sign."""
        size, position = abs(q), self.position[s]
        closing = 0.0
        if q * position < 0.0:
            closing = size if size <= abs(position) else abs(position)
        opening = size - closing
        if opening > 0.0:
            rate, per_share, fixed = self._cost_terms(c)
            margin = self.margin[s]
            n = floor(div(self.cash - fixed, margin + price * rate + per_share))
            if c.min_commission is not None:
                m = floor(div(self.cash - self.net.params[c.min_commission.index], margin))
                if m < n:
                    n = m
            if not opening <= n:
                opening = 0.0 if self.buying_power == "reject" else n
            if not opening > 0.0:
                opening = 0.0
        units = closing + opening
        return units if q > 0.0 else 0.0 - units

    def _cost_terms(self, c: ExecutionConfig) -> tuple[float, float, float]:
        """The execution's percent terms' rates, per-share fees (a tiered term at its highest rate) and fixed fees,
        each summed left to right from 0.0."""
        params = self.net.params
        rate = per_share = fixed = 0.0
        for term in c.commission:
            if term.kind == "percent":
                rate = rate + params[term.rate.index] / 100.0
            elif term.kind in ("per_share", "per_share_tiers"):  # a tiered term at its highest rate
                per_share = per_share + max(params[slot.index] for slot in term.rates)
            else:
                fixed = fixed + params[term.rate.index]
        return rate, per_share, fixed


def _held_value(position: float, price: float) -> float:
    """A position's gross exposure at `price`, 0.0 when flat."""
    return 0.0 if position == 0.0 else abs(position) * price

