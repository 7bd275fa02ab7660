"""The ledger's cash curve, derived from its fills, is the spec's rule applied fill by fill."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from flowc.runtime.ledger import FILL_DTYPE, ORDER_DTYPE, UNFILLED_DTYPE, Ledger

prices = st.floats(0.01, 1e4, allow_nan=False)
fill = st.tuples(st.integers(0, 11), st.integers(0, 2), st.floats(-1e3, 1e3, allow_nan=False), prices,
                 st.floats(0, 50, allow_nan=False))


def ledger(fills: list[tuple[int, int, float, float, float]], cash0: list[float], steps: int) -> Ledger:
    table = np.zeros(len(fills), FILL_DTYPE)
    for k, (step, portfolio, quantity, price, commission) in enumerate(sorted(fills, key=lambda f: f[0])):
        table[k] = (step, 0, quantity, price, commission, portfolio, 0, 0)
    return Ledger(tuple(f"p{j}" for j in range(len(cash0))), ("risk",), ("execution",), np.array(cash0),
                  np.zeros((steps, len(cash0))), np.zeros(steps, bool), np.zeros((len(cash0), 1)),
                  np.zeros(0, ORDER_DTYPE), table, np.zeros(0, UNFILLED_DTYPE))


@settings(max_examples=200, deadline=None)
@given(fills=st.lists(fill, max_size=30), cash0=st.lists(st.floats(0, 1e7, allow_nan=False), min_size=3, max_size=3))
def test_cash_is_the_starting_cash_less_each_fill_in_record_order(fills, cash0):
    led = ledger(fills, cash0, 12)
    expected = np.empty((12, 3))
    cash = list(cash0)
    for t in range(12):
        for f in led.fills[led.fills["step"] == t]:
            j = int(f["portfolio"])
            cash[j] = cash[j] - (float(f["quantity"]) * float(f["price"]) + float(f["commission"]))
        expected[t] = cash
    assert led.cash.tobytes() == expected.tobytes()


def test_without_fills_the_cash_stays_the_starting_cash():
    assert ledger([], [5.0], 3).cash.tolist() == [[5.0], [5.0], [5.0]]
