"""The execution container: pending and working orders, fills at the open, the close or a level,
the participation cap, slippage, the entry spread and commission.

Implements `docs/semantics.md`, section 7 (Execution).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flowc.compiler.ir import BoundContainer, ExecutionConfig, Fee, RiskConfig
from flowc.compiler.schema import Events
from flowc.runtime.reference.arithmetic import sign
from flowc.runtime.reference.expressions import Record
from flowc.runtime.reference.network import ContainerInput, Emitted, Network
from flowc.runtime.reference.risk import CANCELLED, CAPPED, EXPIRED


@dataclass
class Working:
    """A limit or stop order working at `level`, checked against `age` bars so far; a stop-limit's
    `level` is its stop, `limit` its limit, and `triggered` once the price reached the stop."""

    quantity: float
    level: float
    limit: float
    age: float = 0.0
    triggered: bool = False


class Execution:
    def __init__(self, net: Network, bound: BoundContainer, inputs: list[ContainerInput],
                 risks: tuple[str, ...], orders: list[tuple]):
        self.net = net
        self.config = bound.config
        self.bar = next((i for i in inputs if i.event == Events.BAR), None)
        self.orders = [i for i in inputs if i.event == Events.ORDER]
        n = net.market.n_symbols
        self.pending: list[list[float | None]] = [[None] * n for _ in self.orders]
        self.working: list[list[Working | None]] = [[None] * n for _ in self.orders]
        self.sources: list[RiskConfig] = [net.binding.containers[i.source].config for i in self.orders]
        self.risk_index = [risks.index(i.source) for i in self.orders]
        self.records = orders  # cancelled and expired working orders are recorded with the orders
        self.volume = [float("nan")] * n  # per symbol, the volume of its latest closed bar (`volume_impact`)
        self.held = [[0.0] * n for _ in self.orders]  # what each input's orders filled here (`entry_spread`)
        self.room = 0.0  # the units the participation cap leaves at this (t, s)

    def step(self, t: int) -> Emitted:
        return [self._symbol(t, s) for s in range(self.net.market.n_symbols)]

    def _symbol(self, t: int, s: int) -> list[Record]:
        arrived = [[(e["quantity"], e["price"], e["level"], e["limit"]) for e in self.net.deliver(inp, s)]
                   for inp in self.orders]
        bars = self.net.deliver(self.bar, s) if self.bar is not None else []
        fills: list[Record] = []
        at_close = self.config.fill == "close"
        within: set[int] = set()  # the inputs whose working order filled within this bar, past its open
        before = self.volume[s]  # known at the open and within the bar
        now = bars[0]["volume"] if bars else before  # known at the close
        cap = self.config.max_participation
        self.room = _room(self.net.params[cap.index], now) if bars and cap is not None else 0.0
        if bars:
            for k, (pending, source) in enumerate(zip(self.pending, self.sources, strict=True)):
                if pending[s] is not None:  # at this close: it arrived without a bar in `close` mode
                    closing = at_close and source.entry != "market_on_open"
                    base = bars[0]["close" if closing else "open"]
                    filled, rest = self._fill(s, k, pending[s], base, now if closing else before)
                    fills += filled
                    pending[s] = self._rest(t, s, k, rest, base)
            for k, working in enumerate(self.working):
                if working[s] is not None:
                    filled, past_open = self._check(t, s, k, bars[0], before)
                    fills += filled
                    if past_open:
                        within.add(k)
        for k, orders in enumerate(arrived):
            for q, price, level, limit in orders:
                q = self._net(t, s, k, q)
                if q == 0.0:
                    continue
                if level == level:  # a limit or stop order: it works from the next bar
                    w = self.working[k][s]
                    self.working[k][s] = Working(q if w is None else w.quantity + q, level, limit)
                elif bars and price == price and (k not in within or price == bars[0]["close"]):  # an exit order
                    fills += self._now(t, s, k, q, price, before)  # fills now at its price (the close: after all)
                elif bars and at_close and self.sources[k].entry != "market_on_open":
                    fills += self._now(t, s, k, q, bars[0]["close"], now)
                else:
                    self._pend(s, k, q)
        self.volume[s] = now
        return fills

    def _now(self, t: int, s: int, k: int, q: float, base: float, volume: float) -> list[Record]:
        """An order of input k filled now at `base`: what the cap left of it pending, or dropped."""
        filled, rest = self._fill(s, k, q, base, volume)
        kept = self._rest(t, s, k, rest, base)
        if kept is not None:
            self._pend(s, k, kept)
        return filled

    def _pend(self, s: int, k: int, q: float) -> None:
        """A market order of input k pending: it nets with the one pending (exactly 0.0: none)."""
        pending = self.pending[k]
        netted = q if pending[s] is None else pending[s] + q
        pending[s] = netted if netted != 0.0 else None

    def _rest(self, t: int, s: int, k: int, rest: float, base: float) -> float | None:
        """What the participation cap left of an order of input k: kept (`rest = keep`), or recorded `capped`
        at the fill's base price and dropped; None when nothing is left."""
        if rest == 0.0:
            return None
        if self.config.rest == "keep":
            return rest
        self.records.append((t, s, rest, base, self.risk_index[k], CAPPED))
        return None

    def _net(self, t: int, s: int, k: int, q: float) -> float:
        """An order against the working order of its input: the opposite one reduces it first (cancelled
        quantity recorded); what is left of `q`."""
        w = self.working[k][s]
        if w is None or q * w.quantity >= 0.0:
            return q
        rest = w.quantity + q
        if rest * w.quantity > 0.0:  # reduced, still working
            self._record(t, s, k, -q, w.level, CANCELLED)
            w.quantity = rest
            return 0.0
        self._record(t, s, k, w.quantity, w.level, CANCELLED)
        self.working[k][s] = None
        return rest

    def _check(self, t: int, s: int, k: int, bar: dict[str, float], volume: float) -> tuple[list[Record], bool]:
        """A working order against this bar: filled (at the open if it gapped through the level, else at
        the level), or a bar older, expired when its time in force has run out; and whether it filled
        past the bar's open."""
        w = self.working[k][s]
        assert w is not None
        q, level, o = w.quantity, w.level, bar["open"]
        entry = self.sources[k].entry
        if entry == "stop_limit":
            if not w.triggered and (o >= level if q > 0.0 else o <= level):
                w.triggered = True  # by the open: a limit on this bar
            elif not w.triggered:
                w.triggered = bar["high"] >= level if q > 0.0 else bar["low"] <= level  # a limit from the next bar
                return self._older(t, s, k), False
            entry, level = "limit", w.limit
        if entry == "limit":
            px = (o if o <= level else level if bar["low"] <= level else None) if q > 0.0 else (
                o if o >= level else level if bar["high"] >= level else None)
        else:
            px = (o if o >= level else level if bar["high"] >= level else None) if q > 0.0 else (
                o if o <= level else level if bar["low"] <= level else None)
        if px is not None:
            filled, rest = self._fill(s, k, q, px, volume)
            kept = self._rest(t, s, k, rest, px)
            if kept is None:
                self.working[k][s] = None
            else:  # what the cap left keeps working, a bar older
                w.quantity = kept
                self._older(t, s, k)
            return filled, bool(filled) and px != o
        return self._older(t, s, k), False

    def _older(self, t: int, s: int, k: int) -> list[Record]:
        """A bar without a fill: one bar older, and expired when its time in force has run out."""
        w = self.working[k][s]
        assert w is not None
        w.age = w.age + 1.0
        bars = self.net.params[self.sources[k].entry_bars.index]  # type: ignore[union-attr]
        if bars >= 1.0 and w.age >= bars:
            self._record(t, s, k, w.quantity, w.level, EXPIRED)
            self.working[k][s] = None
        return []

    def _record(self, t: int, s: int, k: int, q: float, level: float, status: int) -> None:
        self.records.append((t, s, q, level, self.risk_index[k], status))

    def _fill(self, s: int, k: int, q: float, base: float, volume: float) -> tuple[list[Record], float]:
        """A fill of input k's order of `q` at `base`: the part the participation cap lets fill (none: no
        fill), moved by the slippage (`volume`: the latest closed bar's) and the entry spread, and charged;
        it carries the index of the risk container that sent it, its sleeve. And the rest of `q`."""
        c, params = self.config, self.net.params
        rest = 0.0
        if c.max_participation is not None:
            rest = q
            q = q if abs(q) <= self.room else (self.room if q > 0.0 else 0.0 - self.room)
            self.room = self.room - abs(q)
            rest = rest - q
            if q == 0.0:
                return [], rest
        price = base
        if c.slippage is not None and c.slippage_model == "volume_impact":
            if volume > 0.0:
                price = base + sign(q) * ((params[c.slippage.index] * (abs(q) / volume)) * base)
        elif c.slippage is not None:
            price = base + sign(q) * ((params[c.slippage.index] / 10000.0) * base)
        if c.entry_spread is not None:
            held = self.held[k][s]
            closing = min(abs(q), abs(held)) if q * held < 0.0 else 0.0
            opening = abs(q) - closing
            if opening > 0.0:
                price = price + sign(q) * (((params[c.entry_spread.index] / 10000.0) * price) * (opening / abs(q)))
            self.held[k][s] = held + q
        return [{"quantity": q, "price": price, "commission": commission(c, params, q, price),
                 "risk": self.risk_index[k]}], rest


def _room(percent: float, volume: float) -> float:
    """`max_participation`: the whole units a bar of `volume` lets fill (none without a volume above 0)."""
    return float(math.floor((percent / 100.0) * volume)) if volume > 0.0 else 0.0


def commission(c: ExecutionConfig, params, q: float, price: float) -> float:
    """The commission of a fill of `q` at `price` (after slippage): the terms, then the floor and the cap."""
    total = 0.0
    for k, term in enumerate(c.commission):  # the terms summed left to right, the first as it is
        fee = _fee(term, params, q, price)
        total = fee if k == 0 else total + fee
    if c.min_commission is not None and total < params[c.min_commission.index]:
        total = params[c.min_commission.index]
    if c.max_commission is not None:
        cap = _fee(c.max_commission, params, q, price)
        if total > cap:
            total = cap
    return total


def _fee(term: Fee, params, q: float, price: float) -> float:
    rate = params[term.rate.index]
    for size, tier in term.tiers:  # `per_share_tiers`: the last tier whose size the fill reaches
        if abs(q) >= params[size.index]:
            rate = params[tier.index]
    return {"percent": rate / 100.0 * abs(q) * price, "per_share": rate * abs(q), "fixed": rate,
            "per_share_tiers": rate * abs(q)}[term.kind]
