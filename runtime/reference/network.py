"""The wiring: a container's inputs, and the delivery of this and the previous step's events along the routes.

Implements `docs/semantics.md`, section 2 (Events, inputs and presence): routes, guards, the
merged BAR input, feedback edges and the starting PORTFOLIO event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from flowc.compiler.graph import Edge, FlowGraph
from flowc.compiler.ir import BoundGuard, CrossInput, InputKey
from flowc.compiler.schema import Events
from flowc.compiler.workflow import Analysis
from flowc.runtime.data import MarketData
from flowc.runtime.reference.arithmetic import NAN, truthy
from flowc.runtime.reference.expressions import Record, Scope, evaluate

Emitted = list[list[Record]]  # what one container emitted at one step, per symbol (empty: absent)


def input_key(edge: Edge) -> InputKey:
    """The input an edge feeds: `(event, source)`, with every BAR route merged into `("BAR", None)`."""
    return (edge.event, None if edge.event == Events.BAR else edge.source)


@dataclass(frozen=True)
class ContainerInput:
    """One input of a container: an event from one source (BAR: from every data container at once)."""

    event: str
    source: str | None
    edges: tuple[tuple[Edge, tuple[BoundGuard, ...] | None], ...]  # in `graph.incoming` order

    @property
    def key(self) -> InputKey:
        return (self.event, self.source)


class Network:
    """The events of the current and the previous step, and their delivery along the routes."""

    def __init__(self, analysis: Analysis, market: MarketData, params: Sequence[float]):
        assert analysis.graph is not None and analysis.binding is not None
        self.graph: FlowGraph = analysis.graph
        self.binding = analysis.binding
        self.market = market
        self.params = params
        self.trade_from = 0
        self.replays: list[tuple[np.ndarray, np.ndarray]] = []
        self.t = 0
        self.now: dict[str, Emitted] = {}
        self.before: dict[str, Emitted] = {}
        self.starting: dict[str, Record] = {}  # portfolio -> its PORTFOLIO event before the first step
        n = market.n_symbols  # each symbol's contract (compiler/contracts.py): a future, multiplier, margin
        self.contracts: tuple[list[float], list[float], list[float]] = ([0.0] * n, [1.0] * n, [0.0] * n)

    def inputs(self, path: str) -> list[ContainerInput]:
        groups: dict[InputKey, list[tuple[Edge, tuple[BoundGuard, ...] | None]]] = {}
        for edge in self.graph.incoming(path):
            guards = None if edge.guards is None else self.binding.guards[
                (edge.source, path, edge.event, edge.feedback)]
            groups.setdefault(input_key(edge), []).append((edge, guards))
        return [ContainerInput(event, source, tuple(edges)) for (event, source), edges in groups.items()]

    def scope(self, s: int, inputs: dict[InputKey, Record]) -> Scope:
        return Scope(self.params, self.market.symbols[s], self.binding.symbol_literals, inputs, across=self.across)

    def across(self, item: CrossInput) -> float:
        """`name@SYMBOL` at this step: the symbol's bar if it has one, else the event its source emitted
        for it this step (the source ran earlier in the schedule), NaN where there is none."""
        x = list(self.market.symbols).index(self.binding.symbol_literals[item.literal])
        if item.event == Events.BAR:
            return float(getattr(self.market, item.field)[self.t, x]) if self.market.present[self.t, x] else NAN
        emitted = self.now[item.source][x]  # type: ignore[index]
        return emitted[0][item.field] if emitted else NAN

    def deliver(self, inp: ContainerInput, s: int) -> list[Record]:
        """The events of `inp` present at (t, s): those of the first route that delivers any."""
        for edge, guards in inp.edges:
            passed = [r for r in self._emitted(edge, s) if guards is None or self._passes(guards, edge, r, s)]
            if passed:
                return passed
        return []

    def present(self, inputs: Sequence[ContainerInput], s: int) -> dict[InputKey, Record]:
        """The present single-event inputs at (t, s), for expressions."""
        found = {}
        for inp in inputs:
            events = self.deliver(inp, s)
            if events:
                found[inp.key] = events[0]
        return found

    def _emitted(self, edge: Edge, s: int) -> list[Record]:
        if not edge.feedback:
            return self.now[edge.source][s]
        if self.t == 0:
            return [self.starting[edge.source]] if edge.event == Events.PORTFOLIO else []
        return self.before[edge.source][s]

    def _passes(self, guards: tuple[BoundGuard, ...], edge: Edge, event: Record, s: int) -> bool:
        scope = self.scope(s, {input_key(edge): event})
        return any(all(truthy(evaluate(e, scope)) for e in g.required)
                   and not any(truthy(evaluate(e, scope)) for e in g.excluded) for g in guards)
