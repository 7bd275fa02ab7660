"""What an engine hands back: the ledger of one run, plain numpy, the same for every engine.

The compiled program and the plain-Python reference engine both fill a
`Ledger`; everything after it (trades, metrics, tables, files) is computed
once, in `results.py`, so two engines can only differ in what they record.

Record order is part of the contract:
- orders: by step; at a step first those sent, by risk container in schedule order, then symbol in
  source order; then the working orders cancelled or expired, by symbol, execution container in
  schedule order, ORDER input (`in_order`);
- fills: by step, then portfolio in schedule order, then symbol, then execution
  container in schedule order, then the ORDER input of that container in schedule order
  (a fill delivered to two portfolios is recorded once per portfolio); each names its sleeve, the
  risk container that sent the ORDER input it fills;
- unfilled: execution container in schedule order, then symbol, then ORDER input, its pending
  quantity before its working order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

# price: the exit price of a stop or target order, the level of a limit or stop order, NaN for market orders.
# status: SENT by the risk container, a working order's quantity CANCELLED (netted) or EXPIRED by execution, or
# the part of a fill a portfolio's buying power or leverage limit did not allow (CUT, at the fill's price), or the
# part of an order an execution's participation cap left and `rest = drop` dropped (CAPPED, at the base price).
ORDER_DTYPE = np.dtype([("step", "i8"), ("symbol", "i8"), ("quantity", "f8"), ("price", "f8"), ("risk", "i8"),
                        ("status", "i8")], align=True)
ORDER_STATUS = ("sent", "cancelled", "expired", "cut", "capped")
FILL_DTYPE = np.dtype([("step", "i8"), ("symbol", "i8"), ("quantity", "f8"), ("price", "f8"),
                       ("commission", "f8"), ("portfolio", "i8"), ("execution", "i8"), ("risk", "i8")], align=True)
# risk: the fill's sleeve, the risk container (index in `Ledger.risks`) whose ORDER input of the execution it fills.
UNFILLED_DTYPE = np.dtype([("symbol", "i8"), ("quantity", "f8"), ("execution", "i8")], align=True)


@dataclass
class Ledger:
    """One run's raw record. `P` portfolios, `T` steps, `S` symbols."""

    portfolios: tuple[str, ...]  # container paths, schedule order
    risks: tuple[str, ...]
    executions: tuple[str, ...]
    cash0: np.ndarray  # [P] starting cash
    equity: np.ndarray  # [T, P] end-of-step equity (carried forward on steps a portfolio does not run)
    exposed: np.ndarray  # [T] bool: some portfolio holds a non-zero position in some symbol at the end of the step
    positions: np.ndarray  # [P, S] at the end
    orders: np.ndarray  # ORDER_DTYPE
    fills: np.ndarray  # FILL_DTYPE
    unfilled: np.ndarray  # UNFILLED_DTYPE
    signals: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None  # strategy -> (present, dir, strength)
    multiplier: np.ndarray | None = None  # [S] what a point of each symbol's price is worth: 1.0 but for futures
    settled: np.ndarray | None = None  # [T, P] end-of-step cash as the engines kept it, where futures settle

    def multipliers(self, n_symbols: int) -> np.ndarray:
        """[S] each symbol's multiplier (docs/semantics.md, 8b): 1.0 for a stock, and for every symbol of a
        ledger built without them."""
        return np.ones(n_symbols) if self.multiplier is None else self.multiplier

    @cached_property
    def cash(self) -> np.ndarray:
        """[T, P] end-of-step cash, from the fills: cash changes only at a fill, by `q * price + commission`.

        Derived when asked (for the equity table), so a run writes no cash curve nobody reads. The
        fills of a portfolio are subtracted one by one in record order, as the engines do: the
        same floating-point operations, so the curve is theirs to the bit. With futures the cash moves
        at every close as well (docs/semantics.md, 8b): the engines record it (`settled`).
        """
        if self.settled is not None:
            return self.settled
        steps, n = self.equity.shape
        cash = np.empty((steps, n))
        for j in range(n):
            fills = self.fills[self.fills["portfolio"] == j]
            spent = fills["quantity"] * fills["price"] + fills["commission"]
            after = np.subtract.accumulate(np.concatenate(([self.cash0[j]], spent)))  # after 0, 1, ... fills
            cash[:, j] = after[np.searchsorted(fills["step"], np.arange(steps), side="right")]
        return cash

    def from_step(self, k: int) -> Ledger:
        """The ledger from step `k` on, steps renumbered from 0: a run that trades only from `k` on
        (`trade_from`) without its warm-up, of which only the flat equity goes."""
        if k == 0:
            return self
        orders, fills = self.orders.copy(), self.fills.copy()
        if (len(orders) and orders["step"].min() < k) or (len(fills) and fills["step"].min() < k):
            raise ValueError(f"the ledger has records before step {k}, where nothing may trade")
        orders["step"] -= k
        fills["step"] -= k
        signals = None if self.signals is None else {
            path: tuple(a[k:] for a in arrays) for path, arrays in self.signals.items()}
        settled = None if self.settled is None else self.settled[k:]
        return replace(self, equity=self.equity[k:], exposed=self.exposed[k:], orders=orders, fills=fills,
                       signals=signals, settled=settled)  # type: ignore[arg-type]

    def same_as(self, other: Ledger) -> bool:
        """Bit-identical records (NaN equal to NaN)."""
        arrays = ("cash0", "equity", "cash", "exposed", "positions", "orders", "fills", "unfilled")
        return all(_equal(getattr(self, a), getattr(other, a)) for a in arrays) and (
            self.portfolios, self.risks, self.executions) == (other.portfolios, other.risks, other.executions)


def in_order(orders: np.ndarray) -> np.ndarray:
    """The order records in the ledger's order: an engine appends an execution's cancelled and expired
    orders as its containers run, which interleaves them with sent ones by symbol or not."""
    lapsed = orders["status"] != 0
    if not lapsed.any():
        return orders
    return orders[np.lexsort((np.where(lapsed, orders["symbol"], 0), lapsed, orders["step"]))]


def _equal(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.names:
        return all(_equal(a[n], b[n]) for n in a.dtype.names)
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def first_overflow(step: np.ndarray, quantity: np.ndarray, price: np.ndarray, commission: np.ndarray) -> int | None:
    """The index of the first fill whose quantity, notional or commission a float cannot hold (None: all can).

    Once a size overflows, cash and equity become infinite or NaN and every later size is
    undefined; the engines would then disagree in what they record. Both stop being trusted at
    this fill, the same in both (their records are identical up to it), and the run is FL611.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite quantity makes its notional non-finite
        bad = ~(np.isfinite(quantity * price) & np.isfinite(commission))
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None
