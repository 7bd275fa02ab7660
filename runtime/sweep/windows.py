"""Runs over a window of the steps: sliced data, a trimmed ledger, and another starting cash.

A walk-forward window `[a, b)` runs over the steps `[a - warm-up, b)` with `trade_from` at `a`,
so every feature is warmed up on earlier bars and nothing trades before `a`. `trim` then drops
the warm-up steps from the ledger and the data, so that trades and metrics are those of
`[a, b)` alone. `with_cash` starts a run with another starting cash (a test window starts with
the previous one's ending equity) by overriding the portfolios' cash slots in the parameter
vector; with several portfolios each keeps its share of the total.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from flowc.compiler.schema import Roles
from flowc.runtime.data import MarketData
from flowc.runtime.ledger import Ledger
from flowc.runtime.manager import Prepared, slice_market


def trim(ledger: Ledger, market: MarketData, k: int) -> tuple[Ledger, MarketData]:
    """The ledger and data from step `k` on, steps renumbered from 0 (no order is sent before `k`)."""
    return ledger.from_step(k), (slice_market(market, k, market.n_steps) if k else market)


def cash_slots(prepared: Prepared) -> list[int]:
    """The parameter-vector slot of each portfolio's cash, in schedule order (a shared slot once)."""
    slots: list[int] = []
    for node in prepared.plan.of_role(Roles.PORTFOLIO):
        index = node.container.config.cash.index  # type: ignore[union-attr]
        if index not in slots:
            slots.append(index)
    return slots


def starting_cash(prepared: Prepared, values: dict[str, object] | None = None) -> float:
    """The total starting cash of the portfolios at a point."""
    vector = prepared.params(values)
    return float(sum(vector[node.container.config.cash.index]  # type: ignore[union-attr]
                     for node in prepared.plan.of_role(Roles.PORTFOLIO)))


@dataclass
class CashOverride(Prepared):
    """A prepared workflow whose portfolios start with `total_cash` between them, in their usual shares."""

    total_cash: float = float("nan")

    def params(self, values: dict[str, object] | None = None) -> np.ndarray:
        vector = super().params(values)
        nodes = self.plan.of_role(Roles.PORTFOLIO)
        usual = sum(float(vector[n.container.config.cash.index]) for n in nodes)  # type: ignore[union-attr]
        for index in cash_slots(self):
            share = float(vector[index])
            vector[index] = self.total_cash if share == usual else self.total_cash * (share / usual)
        return vector


def with_cash(prepared: Prepared, total_cash: float) -> CashOverride:
    """The same workflow (same program, same data) starting with `total_cash` across its portfolios."""
    base = {f.name: getattr(prepared, f.name) for f in fields(Prepared)}
    return CashOverride(**base, total_cash=float(total_cash))
