"""Published cases of peer backtesters, reproduced with their data and their numbers.

Each case cites the peer's test by file and name; the bars are the rows of the peer's own test
data that the case reads (the signal, in the volume column as in `test_orders.py`, is 1 from the
peer's decision bar on). Both engines run each case.
"""

from __future__ import annotations

import pytest

from .test_exits import fills
from .test_fill_realism import run_both
from .test_orders import limit
from .test_risk_settings import flow

# kernc/backtesting.py, backtesting/test/GOOG.csv, 2012-10-16 to 2012-10-22: (open, high, low, close)
GOOG = [
    (740.13, 746.99, 736.46, 744.7),  # 2012-10-16
    (743.95, 756.34, 740.26, 755.49),  # 2012-10-17: the decision bar
    (755.54, 759.42, 676.0, 695.0),  # 2012-10-18
    (705.58, 706.7, 672.0, 681.79),  # 2012-10-19
    (681.01, 684.63, 669.7, 678.67),  # 2012-10-22
]


def goog() -> list[tuple[float, ...]]:
    return [(*row, 0.0 if k == 0 else 1.0) for k, row in enumerate(GOOG)]


@pytest.mark.parametrize(("entry", "expected"), [
    # backtesting/test/_test.py, TestBacktest.test_trade_enter_hit_sl_on_same_day: `buy(sl=720)` on
    # 2012-10-17 exits at 720: filled at the next open, 755.54, and the low of 676 reaches the stop
    ("market()", [(2, 10.0, 755.54), (2, -10.0, 720.0)]),
    # the same test, `buy(stop=758, sl=720)`: the stop entry fills at 758 within 2012-10-18, the stop
    # loss is not taken on that bar (the order of its high and low is unknown) and exits at the
    # next open, 705.58
    ("stop(758)", [(2, 10.0, 758.0), (3, -10.0, 705.58)]),
])
def test_backtesting_py_trade_enter_hit_sl_on_same_day(tmp_path, entry, expected):
    ledger = run_both(tmp_path, limit(entry, "stop_loss = price(720)"), goog())
    assert fills(ledger) == expected  # (step, quantity, price); the peer checks the exit price



# polakowo/vectorbt, tests/test_portfolio.py, TestFromSignals.test_tp_stop, the cases with open, high
# and low: a take-profit is a limit order that closes the position (open-source vectorbt has no
# limit entries). One entry at the first close, held until the take-profit fills: at the open when
# the bar opens through the level, else at the level when the high (a short: the low) reaches it.
RISING = [(c - 0.25, c + 0.5, c - 0.5, c, 1.0) for c in (1.0, 2.0, 3.0, 4.0, 5.0)]
FALLING = [(c + 0.25, c + 0.5, c - 0.5, c, -1.0) for c in (5.0, 4.0, 3.0, 2.0, 1.0)]


@pytest.mark.parametrize(("rows", "size", "stop", "expected"), [
    # from_signals_longonly, tp_stop 0.5, 0.75, 1.0: 100 units at 1.0, sold at 1.75, 1.75 and 2.0 on bar 1
    (RISING, 100, 50, [(0, 100.0, 1.0), (1, -100.0, 1.75)]),
    (RISING, 100, 75, [(0, 100.0, 1.0), (1, -100.0, 1.75)]),
    (RISING, 100, 100, [(0, 100.0, 1.0), (1, -100.0, 2.0)]),
    # from_signals_shortonly, tp_stop 0.1, 0.15, 0.2: 20 units short at 5.0, bought at 4.25, 4.25 and 4.0
    (FALLING, 20, 10, [(0, -20.0, 5.0), (1, 20.0, 4.25)]),
    (FALLING, 20, 15, [(0, -20.0, 5.0), (1, 20.0, 4.25)]),
    (FALLING, 20, 20, [(0, -20.0, 5.0), (1, 20.0, 4.0)]),
])
def test_vectorbt_tp_stop_with_ohlc(tmp_path, rows, size, stop, expected):
    risk = f"size = fixed({size}); long_only = false; take_profit = percent({stop})"
    assert fills(run_both(tmp_path, flow(risk, "close"), rows)) == expected
