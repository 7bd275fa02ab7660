"""The risk container: combined direction, sizing, limits, the exits, and what its settings read of its book.

Implements `docs/semantics.md`, section 6 (Risk), section 6a (Exits) and section 6b (Risk settings).
"""

from __future__ import annotations

import math

from flowc.compiler.ir import BoundContainer, Level, RiskConfig, Slot
from flowc.compiler.schema import Events
from flowc.runtime.reference.arithmetic import NAN, div, floor, left_sum, sign, truthy
from flowc.runtime.reference.components import Component
from flowc.runtime.reference.expressions import evaluate
from flowc.runtime.reference.network import ContainerInput, Emitted, Network

SENT, CANCELLED, EXPIRED, CUT, CAPPED = 0, 1, 2, 3, 4  # an order record's status (runtime/ledger.py)


class Risk:
    def __init__(self, net: Network, bound: BoundContainer, inputs: list[ContainerInput], index: int,
                 orders: list[tuple[int, int, float, float, int, int]]):
        assert isinstance(bound.config, RiskConfig)
        self.net, self.bound, self.config, self.index, self.orders = net, bound, bound.config, index, orders
        self.inputs = inputs
        self.signals = [i for i in inputs if i.event == Events.SIGNAL]
        self.portfolios = [i for i in inputs if i.event == Events.PORTFOLIO]
        self.bar = next((i for i in inputs if i.event == Events.BAR), None)
        n = net.market.n_symbols
        self.book = [0.0] * n
        self.direction: list[float | None] = [None] * n  # the last combined direction sized
        self.quantity = [0.0] * n  # the quantity sized for it, held until the direction changes
        self.account = [{"equity": NAN, "cash": NAN, "drawdown": NAN} for _ in range(n)]  # the latest PORTFOLIO
        self.position = [NAN] * n  # the portfolio's position in s, of the latest PORTFOLIO received
        self.states: list[dict[int, Component]] = [{} for _ in range(n)]  # of the settings' components
        # the position, tracked (docs/semantics.md, section 6a)
        self.last_close = [NAN] * n  # of the latest BAR received
        self.entry = [NAN] * n  # the close at the order that opened the position
        self.extreme = [NAN] * n  # the highest high (long) or lowest low (short) since, for the trailing stop
        self.bars = [0.0] * n  # the bars received since the order that opened it
        self.latched = [False] * n  # flat after an exit until the combined direction changes
        self.levels = {name: [NAN] * n for name in ("stop_loss", "take_profit", "trailing_stop")}
        # per ORDER route of this container (executions in schedule order, then inputs): the execution's
        # pending quantities and working orders by symbol, as `Execution` keeps them
        self.routed: list[tuple[list, list]] = []

    def _p(self, slot: Slot) -> float:
        return self.net.params[slot.index]

    def step(self, t: int) -> Emitted:
        return [self._symbol(t, s) for s in range(self.net.market.n_symbols)]

    def _symbol(self, t: int, s: int) -> list[dict[str, float]]:
        c = self.config
        for inp in self.portfolios:
            for event in self.net.deliver(inp, s)[:1]:
                self.account[s] = {name: event[name] for name in self.account[s]}
                self.position[s] = event["position"]
        if c.book != "orders" and self.position[s] == self.position[s]:  # the portfolio's position (section 6)
            committed = c.book == "committed"  # and what of its orders is still pending or working
            self.book[s] = self.position[s] + self._in_flight(s, pending=True) if committed else self.position[s]
        signals = [events[0] for inp in self.signals if (events := self.net.deliver(inp, s))]
        d = self._direction([e["direction"] for e in signals]) if signals else NAN
        exit_price, exited = NAN, False
        if c.tracks:
            exit_price, exited = self._track(s)
        values = self._settings(s, d, signals)
        out = []
        if exited:
            self.latched[s] = True
            order = -self.book[s]
            self.book[s] = self.book[s] + order
            self.orders.append((t, s, order, exit_price, self.index, SENT))
            out.append({"quantity": order, "price": exit_price, "level": NAN, "limit": NAN})
        if c.close_at_end is not None and self._p(c.close_at_end) != 0.0 and t == self.net.market.close.shape[0] - 1:
            out += self._close_at_end(t, s)
        elif signals and t >= self.net.trade_from:  # warm-up steps before trade_from: no orders
            if self.latched[s] and (self.direction[s] is None or d != self.direction[s]):
                self.latched[s] = False  # tested at an exit's step too, which sends nothing more
            target = None if exited or self.latched[s] else self._target(t, s, d, values)
            order = 0.0 if target is None else target - self.book[s]
            before, at, limit = self.book[s], NAN, NAN
            if order != 0.0 and c.working and _grows(before, before + order):
                at = values["entry"]  # an order of the entry type at its level; undefined: nothing sent
                limit = values["entry_limit"] if c.entry == "stop_limit" else NAN
                if at != at or (c.entry == "stop_limit" and limit != limit):
                    order = 0.0
            price = NAN
            if order != 0.0 and c.entry == "market_on_close" and _grows(before, before + order):
                price = float(self.net.market.close[t, s])  # fills at this close
            if order != 0.0:
                self.book[s] = self.book[s] + order
                if c.tracks and self.book[s] != 0.0 and sign(self.book[s]) != sign(before):  # a new position
                    self.entry[s] = self.extreme[s] = self.last_close[s]
                    self.bars[s] = 0.0
                    for name, level in self._levels():
                        self._set_level(s, name, level, values[name])
                self.orders.append((t, s, order, price if price == price else at, self.index, SENT))
                out.append({"quantity": order, "price": price, "level": at, "limit": limit})
        if self.book[s] != 0.0:  # levels re-evaluated at each step of the position
            for name, level in self._levels():
                if level.each_bar and values[name] == values[name]:
                    self._set_level(s, name, level, values[name])
        return out

    def _close_at_end(self, t: int, s: int) -> list[dict[str, float]]:
        """`close_at_end`: at the last step, an exit order of the whole book at this close (NaN without a bar)."""
        if self.book[s] == 0.0:
            return []
        order, price = -self.book[s], float(self.net.market.close[t, s])
        self.book[s] = 0.0
        self.orders.append((t, s, order, price, self.index, SENT))
        return [{"quantity": order, "price": price, "level": NAN, "limit": NAN}]

    def _settings(self, s: int, d: float, signals: list[dict[str, float]]) -> dict[str, float]:
        """Section 6b: each setting where its reads are present, seeing the book as it stands (NaN where not run)."""
        present = self.net.present(self.inputs, s)
        scope = self.net.scope(s, present)
        scope.states = self.states[s]
        book = self.book[s]
        held = book != 0.0
        scope.book = {
            "position": self.position[s], **self.account[s], "direction": d,
            "strength": left_sum([e["strength"] for e in signals]) / len(signals) if signals else NAN,
            "entry_price": self.entry[s] if held else NAN, "bars_held": self.bars[s] if held else 0.0,
            "unrealised_pnl": book * (self.last_close[s] - self.entry[s]) if held else 0.0,
            "working": self._in_flight(s, pending=False),
        }
        values = {}
        for setting in self.bound.settings:
            values[setting.name] = evaluate(setting.expr, scope) if setting.reads <= present.keys() else NAN
        return values

    def _in_flight(self, s: int, pending: bool) -> float:
        """This container's orders for `s` still at its executions, as they stood at the end of the step before
        (they run after it): summed from 0.0 route by route, the pending quantity (with `pending`), then the
        working one (section 6, `book = committed`; 6b, `working`)."""
        terms = []
        for queued, working in self.routed:
            if pending:
                terms.append(queued[s] if queued[s] is not None else 0.0)
            if self.config.working:
                terms.append(working[s].quantity if working[s] is not None else 0.0)
        return left_sum(terms)

    def _levels(self) -> list[tuple[str, Level]]:
        return [(name, level) for name in self.levels if (level := getattr(self.config, name)) is not None]

    def _set_level(self, s: int, name: str, level: Level, value: float) -> None:
        """A level from its setting's value: a price, or placed from the entry (a trailing stop: its amount)."""
        if level.kind == "price" or name == "trailing_stop":
            self.levels[name][s] = value
            return
        below = (self.book[s] > 0.0) == (name == "stop_loss")
        self.levels[name][s] = _place(self.entry[s], value, level.kind, below)

    def _track(self, s: int) -> tuple[float, bool]:
        """Step 1a: this bar's close, the bars held, and the exit (its price, NaN for a market exit) if any."""
        bars = self.net.deliver(self.bar, s) if self.bar is not None else []
        if not bars:
            return NAN, False
        bar = bars[0]
        self.last_close[s] = bar["close"]
        book = self.book[s]
        if book == 0.0:
            return NAN, False
        self.bars[s] = self.bars[s] + 1.0
        c = self.config
        if not c.has_exits:
            return NAN, False
        price = self._exit(s, book, bar)
        if price == price:
            return price, True
        return NAN, c.max_bars is not None and self.bars[s] >= self._p(c.max_bars)

    def _exit(self, s: int, book: float, bar: dict[str, float]) -> float:
        """The exit price if a stop or target is reached on this bar, else NaN."""
        c = self.config
        o, high, low = bar["open"], bar["high"], bar["low"]
        extreme, long = self.extreme[s], book > 0.0
        stop = self.levels["stop_loss"][s] if c.stop_loss is not None else -math.inf if long else math.inf
        goal = self.levels["take_profit"][s] if c.take_profit is not None else math.inf if long else -math.inf
        if c.trailing_stop is not None:
            trail = _place(extreme, self.levels["trailing_stop"][s], c.trailing_stop.kind, long)
            if (trail > stop) if long else (trail < stop):
                stop = trail
        if long:
            if o <= stop or o >= goal:
                price = o
            elif low <= stop:
                price = stop
            elif high >= goal:
                price = goal
            else:
                price = NAN
        elif o >= stop or o <= goal:
            price = o
        elif high >= stop:
            price = stop
        elif low <= goal:
            price = goal
        else:
            price = NAN
        if price != price and c.trailing_stop is not None:  # no exit: the extreme moves
            if long and high > extreme:
                self.extreme[s] = high
            elif not long and low < extreme:
                self.extreme[s] = low
        return price

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

    def _target(self, t: int, s: int, d: float, values: dict[str, float]) -> float | None:
        """The target quantity, or None where the size is undefined (then nothing is sent or changed)."""
        c = self.config
        rebalance = c.rebalance and truthy(values["rebalance"])
        if self.direction[s] is None or d != self.direction[s] or rebalance:
            quantity = self._size(t, s, d, values)
            if not math.isfinite(quantity):
                return None
            self.direction[s], self.quantity[s] = d, quantity
        target = self.quantity[s]
        if c.max_position is not None:
            m = self._p(c.max_position)
            target = min(max(target, -m), m)
        if c.max_drawdown is not None and self.account[s]["drawdown"] >= self._p(c.max_drawdown) / 100.0:
            book = self.book[s]
            target = sign(book) * min(abs(book), max(0.0, sign(book) * target))
        return target

    def _size(self, t: int, s: int, d: float, values: dict[str, float]) -> float:
        """Step 4: the sized quantity (section 6, 6b), NaN or infinite where undefined."""
        c = self.config
        if c.size == "fixed":
            return self._p(c.size_slot) * d  # type: ignore[arg-type]
        equity, close = self.account[s]["equity"], float(self.net.market.close[t, s])
        point = self.net.contracts[1][s]  # what a point of the price is worth: a future's multiplier (8b)
        if c.size == "units":
            units = values["size_x"]
        elif c.size == "percent_equity":
            units = div((values["size_p"] / 100.0) * equity, close * point)
        elif c.size == "weight":
            units = div(values["size_w"] * equity, close * point)
        else:
            units = div((values["size_p"] / 100.0) * equity, values["size_distance"] * point)
        return d * (units if self._p(c.fractional) != 0.0 else floor(units))


def _grows(before: float, after: float) -> bool:
    """Whether an order from `before` to `after` opens or increases a position (a reversal included)."""
    return abs(after) > abs(before) or after * before < 0.0


def _place(reference: float, value: float, kind: str, below: bool) -> float:
    """A level `value` from `reference`: in percent of it, or a distance in price, below or above it."""
    if kind == "percent":
        return reference * (1.0 - value / 100.0) if below else reference * (1.0 + value / 100.0)
    return reference - value if below else reference + value
