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


# kernc/backtesting.py, backtesting/test/_test.py, TestBacktest.test_spread_commission and
# test_commissions: its Broker (backtesting/backtesting.py) charges `commission(size, price)` at the
# entry and again at the exit, on the fill's price; `commission=(fixed, rate)` is
# `fixed + abs(size) * price * rate`, flowc's `fixed(c) + percent(100 * rate)`. Its `spread` moves an
# entry's price, `price * (1 + copysign(spread, size))`, and the commission is charged on that price
# (`_open_trade(adjusted_price, ...)`), but a trade is closed at the unadjusted price ("Existing
# trades are closed at unadjusted price, because the adjustment was already made when buying"):
# the spread is paid once, on the entry. flowc's `slippage = bps(b)` moves every fill of its
# execution container, so the case routes the buys (its entries: the strategy is long only) to an
# execution with the spread and the sells to one without: `P + 1.0 * ((100 / 10000.0) * P)` is
# `P * (1 + 0.01)` to the bit at the entry's open, 110.75, and the exit is at the open itself.
#
# What flowc's model cannot reproduce is the peer's size: `buy()` is 0.9999 of the available margin
# divided by the adjusted price plus `commission(0.9999, price) / 0.9999` at the fill's open, which a
# risk container deciding at the close before that open does not know. The cases give the units the
# peer computes, `int(9999 // per_unit)`: 88 (per unit 110.75 * 1.01 + 1.1075), 47 (110.75 + 100.01
# + 1.1075) and 89 (110.75 + 1.1075), as `fixed(n)`. The equity the peer checks, rounded to cents
# as the peer rounds it, is then the same; the bits differ in the last places, as the peer adds
# `size * (price - entry)` to the cash where flowc subtracts `q * price + commission` and adds
# `position * close`.

# backtesting/test/GOOG.csv, SHORT_DATA's first four bars, 2004-08-19 to 2004-08-24 (open, high, low, close)
SHORT_DATA = [
    (100.0, 104.06, 95.96, 100.34),
    (101.01, 109.08, 100.5, 108.31),  # `buy()` in the first `next()`
    (110.75, 113.48, 109.05, 109.4),  # ORDER_BAR: filled at its open; `position.close()` at its close
    (111.24, 111.6, 103.57, 104.87),  # closed at its open
]
TWO_SIDES = """
containers t {{ backtest: backtest {{
    data: data {{ source = sample("sp500", symbol = "A") }}
    strategy: strategy {{ signal = volume }}
    risk: risk {{ size = fixed({units}); {exits} }}
    buys: execution {{ commission = {commission}; {spread} }}
    sells: execution {{ commission = {commission} }}
    portfolio: portfolio {{ cash = {cash} }}
}} }}
communication w {{
    route data -> strategy : BAR
    route strategy -> risk : SIGNAL
    route risk -> buys : ORDER when quantity > 0
    route risk -> sells : ORDER when quantity < 0
    route buys, sells -> portfolio : FILL
    broadcast data -> risk, buys, sells, portfolio : BAR
}}
workflow w {{ containers = t; communication = w }}
"""


ONE_SIDE = """
containers t {{ backtest: backtest {{
    data: data {{ source = sample("sp500", symbol = "A") }}
    strategy: strategy {{ signal = volume }}
    risk: risk {{ size = fixed({units}) }}
    execution: execution {{ commission = {commission}; {spread} }}
    portfolio: portfolio {{ cash = {cash} }}
}} }}
communication w {{
    pipeline data -> strategy -> risk -> execution -> portfolio
    broadcast data -> risk, execution, portfolio : BAR
}}
workflow w {{ containers = t; communication = w }}
"""


def two_sides(units: int, commission: str, cash: float, spread: str = "", exits: str = "") -> str:
    return TWO_SIDES.format(units=units, commission=commission, cash=cash, spread=spread, exits=exits)


@pytest.mark.parametrize(("units", "commission", "spread", "equity"), [
    # Backtest(SHORT_DATA, S, cash=10_000, spread=.01, commission=.01)
    (88, "percent(1)", "slippage = bps(100)", [9685.31, 9749.33]),
    # Backtest(SHORT_DATA, S, cash=10_000, commission=(100, .01))
    (47, "fixed(100) + percent(1)", "", [9784.50, 9718.69]),
    # commission=lambda size, price: size * price * .01: its sizes are positive at both ends
    (89, "percent(1)", "", [9781.28, 9846.04]),
])
def test_backtesting_py_spread_commission(tmp_path, units, commission, spread, equity):
    rows = [(*row, 1.0 if k == 1 else 0.0) for k, row in enumerate(SHORT_DATA)]  # long from bar 1 to bar 2
    ledger = run_both(tmp_path, two_sides(units, commission, 10_000, spread), rows)
    open_ = SHORT_DATA[2][0]
    entry = open_ * (1 + 0.01) if spread else open_
    assert fills(ledger) == [(2, units, entry), (3, -units, SHORT_DATA[3][0])]
    assert entry == (111.8575 if spread else 110.75)  # the peer: EntryPrice == Open[ORDER_BAR] * (1 + SPREAD)
    assert [round(float(e), 2) for e in ledger.equity[2:4, 0]] == equity  # Equity.iloc[2:4].round(2)


def test_backtesting_py_spread_with_one_execution(tmp_path):
    """The spread case again, as the peer configures it: one execution whose `entry_spread` moves the
    entry and not the exit (docs/semantics.md, 7)."""
    text = ONE_SIDE.format(units=88, commission="percent(1)", cash=10_000, spread="entry_spread = bps(100)")
    rows = [(*row, 1.0 if k == 1 else 0.0) for k, row in enumerate(SHORT_DATA)]
    ledger = run_both(tmp_path, text, rows)
    assert fills(ledger) == [(2, 88.0, SHORT_DATA[2][0] * (1 + 0.01)), (3, -88.0, SHORT_DATA[3][0])]
    assert [round(float(e), 2) for e in ledger.equity[2:4, 0]] == [9685.31, 9749.33]


def test_backtesting_py_commissions(tmp_path):
    # Backtest(df, S, cash=5000, commission=(10, .01)), `buy(size=100, tp=3)` at the second bar, on
    # prices 1, 1, 1, 2, 4, 1, 2 (open = high = low = close): in at 1, the take profit at the open
    # of 4 that opens through it; commissions 10 + .01 * 100 * 1 + 10 + .01 * 100 * 4 = 25
    prices = (1.0, 1.0, 1.0, 2.0, 4.0, 1.0, 2.0)
    rows = [(p, p, p, p, 0.0 if k == 0 else 1.0) for k, p in enumerate(prices)]
    ledger = run_both(tmp_path, two_sides(100, "fixed(10) + percent(1)", 5000, exits="take_profit = price(3)"),
                      rows)
    assert fills(ledger) == [(2, 100.0, 1.0), (4, -100.0, 4.0)]
    paid = 10 + .01 * 100 * 1 + 10 + .01 * 100 * 4
    assert float(ledger.fills["commission"].sum()) == paid == 25.0  # stats['Commissions [$]']
    assert float(ledger.equity[-1, 0]) == 5000 + (4 - 1) * 100 - paid == 5275.0  # stats['Equity Final [$]']
