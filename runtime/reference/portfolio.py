"""The portfolio container: cash, positions, equity and drawdown from the fills and the closes.

Implements `docs/semantics.md`, section 8 (Portfolio).
"""

from __future__ import annotations

from flowc.compiler.ir import BoundContainer
from flowc.compiler.schema import Events
from flowc.runtime.reference.arithmetic import NAN, div
from flowc.runtime.reference.network import ContainerInput, Emitted, Network


class Portfolio:
    def __init__(self, net: Network, bound: BoundContainer, inputs: list[ContainerInput], index: int,
                 executions: tuple[str, ...], fills: list[tuple]):
        self.net, self.index, self.fills = net, index, fills
        self.bar = next((i for i in inputs if i.event == Events.BAR), None)
        self.fill_inputs = [(executions.index(i.source), i) for i in inputs if i.event == Events.FILL]
        n = net.market.n_symbols
        self.cash0 = net.params[bound.config.cash.index]
        self.cash = self.equity = self.peak = self.cash0
        self.drawdown = 0.0
        self.position = [0.0] * n
        self.last_close = [NAN] * n
        net.starting[bound.path] = {"cash": self.cash0, "equity": self.cash0, "drawdown": 0.0, "position": 0.0}

    def step(self, t: int) -> Emitted:
        n = self.net.market.n_symbols
        bars = [self.net.deliver(self.bar, s) if self.bar is not None else [] for s in range(n)]
        received = [[(x, e) for x, inp in self.fill_inputs for e in self.net.deliver(inp, s)] for s in range(n)]
        if not any(bars) and not any(received):
            return [[] for _ in range(n)]
        for s in range(n):
            if bars[s]:
                self.last_close[s] = bars[s][0]["close"]
            for execution, fill in received[s]:
                q, price, commission = fill["quantity"], fill["price"], fill["commission"]
                self.position[s] = self.position[s] + q
                self.cash = self.cash - (q * price + commission)
                self.fills.append((t, s, q, price, commission, self.index, execution, fill["risk"]))
        equity = self.cash
        for s in range(n):
            if self.position[s] != 0.0:
                equity = equity + self.position[s] * self.last_close[s]
        self.equity = equity
        if equity > self.peak:
            self.peak = equity
        self.drawdown = 1.0 - div(equity, self.peak)
        return [[{"cash": self.cash, "equity": equity, "drawdown": self.drawdown, "position": self.position[s]}]
                for s in range(n)]
