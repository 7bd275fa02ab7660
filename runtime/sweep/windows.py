"""Runs over a window of the steps: sliced data, a trimmed ledger, and another starting cash.

A walk-forward window `[a, b)` runs over the steps `[a - warm-up, b)` with `trade_from` at `a`,
so every feature is warmed up on earlier bars and nothing trades before `a`. `trim` then drops
the warm-up steps from the ledger and the data, so that trades and metrics are those of
`[a, b)` alone. `with_cash` starts a run with another starting cash (a test window starts with
the previous one's ending equity) by overriding the portfolios' cash slots in the parameter
vector; with several portfolios each keeps its share of the total.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from flowc.runtime.data import MarketData
from flowc.runtime.ledger import Ledger
from flowc.runtime.manager import Prepared


def slice_market(market: MarketData, start: int, stop: int) -> MarketData:
    """The steps `[start, stop)` of the market data (views, no copy)."""
    s = slice(start, stop)
    return MarketData(market.symbols, market.timestamps[s], market.open[s], market.high[s], market.low[s],
                      market.close[s], market.volume[s], market.present[s])


def trim(ledger: Ledger, market: MarketData, k: int) -> tuple[Ledger, MarketData]:
    """The ledger and data from step `k` on, steps renumbered from 0 (no order is sent before `k`)."""
    if k == 0:
        return ledger, market
    orders, fills = ledger.orders.copy(), ledger.fills.copy()
    if (len(orders) and orders["step"].min() < k) or (len(fills) and fills["step"].min() < k):
        raise ValueError(f"the ledger has records before step {k}, where nothing may trade")
    orders["step"] -= k
    fills["step"] -= k
    signals = None
    if ledger.signals is not None:
        signals = {path: tuple(a[k:] for a in arrays) for path, arrays in ledger.signals.items()}
    trimmed = replace(ledger, equity=ledger.equity[k:], exposed=ledger.exposed[k:],
                      orders=orders, fills=fills, signals=signals)  # type: ignore[arg-type]
    return trimmed, slice_market(market, k, market.n_steps)


def cash_slots(prepared: Prepared) -> list[int]:
    """The parameter-vector slot of each portfolio's cash, in schedule order (a shared slot once)."""
    slots: list[int] = []
    for node in prepared.plan.of_role("portfolio"):
        index = node.container.config.cash.index  # type: ignore[union-attr]
        if index not in slots:
            slots.append(index)
    return slots


def starting_cash(prepared: Prepared, values: dict[str, object] | None = None) -> float:
    """The total starting cash of the portfolios at a point."""
    vector = prepared.params(values)
    return float(sum(vector[node.container.config.cash.index]  # type: ignore[union-attr]
                     for node in prepared.plan.of_role("portfolio")))


@dataclass
class CashOverride(Prepared):
    """A prepared workflow whose portfolios start with `total_cash` between them, in their usual shares."""

    total_cash: float = float("nan")

    def params(self, values: dict[str, object] | None = None) -> np.ndarray:
        vector = super().params(values)
        nodes = self.plan.of_role("portfolio")
        usual = sum(float(vector[n.container.config.cash.index]) for n in nodes)  # type: ignore[union-attr]
        for index in cash_slots(self):
            share = float(vector[index])
            vector[index] = self.total_cash if share == usual else self.total_cash * (share / usual)
        return vector


def with_cash(prepared: Prepared, total_cash: float) -> CashOverride:
    """The same workflow (same program, same data) starting with `total_cash` across its portfolios."""
    base = {f.name: getattr(prepared, f.name) for f in fields(Prepared)}
    return CashOverride(**base, total_cash=float(total_cash))
