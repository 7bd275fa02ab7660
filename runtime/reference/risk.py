"""The risk container: combined direction, sizing, limits, and the exits (stop, trailing stop, target).

Implements `docs/semantics.md`, section 6 (Risk) and section 6a (Exits).
"""

from __future__ import annotations

import math

from flowc.compiler.ir import RiskConfig, Slot
from flowc.compiler.schema import Events
from flowc.runtime.reference.arithmetic import NAN, div, floor, left_sum, sign
from flowc.runtime.reference.network import ContainerInput, Emitted, Network


class Risk:
    def __init__(self, net: Network, config: RiskConfig, inputs: list[ContainerInput], index: int,
                 orders: list[tuple[int, int, float, float, int]]):
        self.net, self.config, self.index, self.orders = net, config, index, orders
        self.signals = [i for i in inputs if i.event == Events.SIGNAL]
        self.portfolios = [i for i in inputs if i.event == Events.PORTFOLIO]
        self.bar = next((i for i in inputs if i.event == Events.BAR), None)
        n = net.market.n_symbols
        self.book = [0.0] * n
        self.direction: list[float | None] = [None] * n  # the last combined direction sized
        self.quantity = [0.0] * n  # the quantity sized for it, held until the direction changes
        self.equity = [NAN] * n  # of the latest PORTFOLIO received
        self.drawdown = [NAN] * n
        # exits (docs/semantics.md, section 6a)
        self.last_close = [NAN] * n  # of the latest BAR received
        self.entry = [NAN] * n  # the close at the order that opened the position
        self.extreme = [NAN] * n  # the highest high (long) or lowest low (short) since, for the trailing stop
        self.latched = [False] * n  # flat after an exit until the combined direction changes

    def _p(self, slot: Slot) -> float:
        return self.net.params[slot.index]

    def step(self, t: int) -> Emitted:
        out: Emitted = []
        for s in range(self.net.market.n_symbols):
            for inp in self.portfolios:
                for event in self.net.deliver(inp, s)[:1]:
                    self.equity[s], self.drawdown[s] = event["equity"], event["drawdown"]
            exit_price = self._exit(s) if self.config.has_exits else NAN
            exited = exit_price == exit_price
            if exited:
                self.latched[s] = True
            directions = [events[0]["direction"] for inp in self.signals if (events := self.net.deliver(inp, s))]
            target = None
            if directions and t >= self.net.trade_from:  # warm-up steps before trade_from: no orders
                d = self._direction(directions)
                if self.latched[s] and (self.direction[s] is None or d != self.direction[s]):
                    self.latched[s] = False
                if not exited and not self.latched[s]:
                    target = self._target(t, s, d)
            if exited:
                order = -self.book[s]
                self.book[s] = self.book[s] + order
                self.orders.append((t, s, order, exit_price, self.index))
                out.append([{"quantity": order, "price": exit_price}])
                continue
            order = 0.0 if target is None else target - self.book[s]
            if order != 0.0:
                before = self.book[s]
                self.book[s] = self.book[s] + order
                if self.book[s] != 0.0 and sign(self.book[s]) != sign(before):  # a new position: its entry
                    self.entry[s] = self.extreme[s] = self.last_close[s]
                self.orders.append((t, s, order, NAN, self.index))
                out.append([{"quantity": order, "price": NAN}])
            else:
                out.append([])
        return out

    def _exit(self, s: int) -> float:
        """Step 1a: the exit price if a stop or target is reached on this bar, else NaN."""
        bars = self.net.deliver(self.bar, s) if self.bar is not None else []
        if not bars:
            return NAN
        bar = bars[0]
        self.last_close[s] = bar["close"]
        book = self.book[s]
        if book == 0.0:
            return NAN
        c = self.config
        o, high, low = bar["open"], bar["high"], bar["low"]
        entry, extreme = self.entry[s], self.extreme[s]
        if book > 0.0:
            stop, goal = -math.inf, math.inf
            if c.stop_loss is not None:
                stop = entry * (1.0 - self._p(c.stop_loss) / 100.0)
            if c.trailing_stop is not None:
                trail = extreme * (1.0 - self._p(c.trailing_stop) / 100.0)
                if trail > stop:
                    stop = trail
            if c.take_profit is not None:
                goal = entry * (1.0 + self._p(c.take_profit) / 100.0)
            if o <= stop or o >= goal:
                return o
            if low <= stop:
                return stop
            if high >= goal:
                return goal
            if high > extreme:
                self.extreme[s] = high
            return NAN
        stop, goal = math.inf, -math.inf
        if c.stop_loss is not None:
            stop = entry * (1.0 + self._p(c.stop_loss) / 100.0)
        if c.trailing_stop is not None:
            trail = extreme * (1.0 + self._p(c.trailing_stop) / 100.0)
            if trail < stop:
                stop = trail
        if c.take_profit is not None:
            goal = entry * (1.0 - self._p(c.take_profit) / 100.0)
        if o >= stop or o <= goal:
            return o
        if high >= stop:
            return stop
        if low <= goal:
            return goal
        if low < extreme:
            self.extreme[s] = low
        return NAN

    def _direction(self, directions: list[float]) -> float:
        """The combined direction, after `long_only`."""
        c = self.config
        if c.combine == "mean":
            d = sign(left_sum(directions) / len(directions))
        elif c.combine == "unanimous":
            d = directions[0] if all(d == directions[0] for d in directions) else 0.0
        else:
            d = min(max(left_sum(directions), -1.0), 1.0)
        if self._p(c.long_only) != 0.0 and d < 0.0:
            d = 0.0
        return d

    def _target(self, t: int, s: int, d: float) -> float | None:
        """The target quantity, or None where it is undefined (then nothing is sent or changed)."""
        c = self.config
        if self.direction[s] is None or d != self.direction[s] or self._p(c.rebalance) != 0.0:
            if c.size == "fixed":
                quantity = self._p(c.size_slot) * d
            else:
                close = float(self.net.market.close[t, s])
                quantity = d * floor(div((self._p(c.size_slot) / 100.0) * self.equity[s], close))
            if quantity != quantity:
                return None
            self.direction[s], self.quantity[s] = d, quantity
        target = self.quantity[s]
        if c.max_position is not None:
            m = self._p(c.max_position)
            target = min(max(target, -m), m)
        if c.max_drawdown is not None and self.drawdown[s] >= self._p(c.max_drawdown) / 100.0:
            book = self.book[s]
            target = sign(book) * min(abs(book), max(0.0, sign(book) * target))
        return target
