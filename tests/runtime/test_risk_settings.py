"""Risk settings that change bar by bar: sizes, exit levels, the time stop and reads of the book.

The definitions are docs/semantics.md, sections 6, 6a and 6b. Each hand case runs a small topology
on bars written here as `(open, high, low, close, signal)` (the signal is the volume column) in the
reference engine and checks the orders and fills by hand; `test_the_compiled_engine_agrees` runs
the same topologies compiled. Random topologies and data are `tests/test_differential.py` ("sized")
and `tests/optimize/test_random_topologies.py`.
"""

from __future__ import annotations

import math

import pytest

from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.reference import run_reference

from .test_exits import bars, errors, fills, orders, reference

TEMPLATE = """
containers t {{ backtest: backtest {{
    data: data {{ source = sample("sp500", symbol = "A") }}
    features: feature {{ hl = high - low; c = close }}
    strategy: strategy {{ signal = volume }}
    risk: risk {{ {risk} }}
    execution: execution {{ fill = {fill}() }}
    portfolio: portfolio {{ cash = 1000 }}
}} }}
communication w {{
    pipeline data -> features -> risk -> execution -> portfolio
    route data -> strategy : BAR
    route strategy -> risk : SIGNAL
    broadcast data -> risk, execution, portfolio : BAR
    feedback portfolio -> risk : PORTFOLIO
}}
workflow w {{ containers = t; communication = w }}
"""


def flow(risk: str, fill: str = "close") -> str:
    return TEMPLATE.format(risk=risk, fill=fill)


# ---- exit levels from expressions -------------------------------------------------------------------

UP_THEN_DOWN = bars(
    (100, 102, 98, 100, 1),  # long 10 at the close, 100; the bar's range is 4
    (99, 100, 97, 98, 1),  # range 3; the low, 97, is above 100 - 4
    (97, 98, 95, 96, 1),  # opens at 97, the low reaches 95
)


def test_a_distance_stop_is_fixed_at_entry():
    ledger = reference(flow("size = fixed(10); stop_loss = distance(hl)"), UP_THEN_DOWN)
    assert fills(ledger) == [(0, 10, 100), (2, -10, 96)]  # the stop stays 100 - 4


def test_a_distance_stop_placed_each_bar_uses_the_levels_of_earlier_bars():
    ledger = reference(flow("size = fixed(10); stop_loss = distance(hl, each_bar = true)"), UP_THEN_DOWN)
    assert fills(ledger) == [(0, 10, 100), (2, -10, 97)]  # after bar 1: 100 - 3; bar 2 opens at it


def test_a_price_stop_each_bar_trails_the_previous_low():
    market = bars((100, 101, 99, 100, 1), (101, 103, 100, 102, 1), (102, 104, 101, 103, 1), (102, 102, 99.5, 100, 1))
    ledger = reference(flow("size = fixed(10); stop_loss = price(low, each_bar = true)"), market)
    assert fills(ledger) == [(0, 10, 100), (3, -10, 101)]  # the low of bar 2


def test_a_percent_call_is_the_number_and_a_take_profit_at_a_price():
    assert fills(reference(flow("size = fixed(10); stop_loss = percent(3)"), bars(
        (100, 100, 100, 100, 1), (99, 101, 96, 98, 1)))) == [(0, 10, 100), (1, -10, 97)]
    assert fills(reference(flow("size = fixed(10); take_profit = price(c + 2)"), bars(
        (100, 100, 100, 100, 1), (101, 103, 100, 102, 1)))) == [(0, 10, 100), (1, -10, 102)]


def test_a_short_distance_stop_is_above_the_entry():
    ledger = reference(flow("size = fixed(10); long_only = false; stop_loss = distance(hl)"), bars(
        (100, 102, 98, 100, -1), (101, 105, 100, 103, -1)))
    assert fills(ledger) == [(0, -10, 100), (1, 10, 104)]


def test_a_trailing_distance_follows_the_highest_high():
    ledger = reference(flow("size = fixed(10); trailing_stop = distance(2)"), bars(
        (100, 100, 100, 100, 1), (101, 105, 100, 104, 1), (104, 104, 102.5, 103, 1)))
    assert fills(ledger) == [(0, 10, 100), (2, -10, 103)]  # the high of 105, less 2


# ---- the time stop ------------------------------------------------------------------------------


def test_max_bars_sends_a_market_exit_on_the_nth_bar_after_the_entry():
    market = bars(*[(100 + k, 101 + k, 99 + k, 100 + k, 1) for k in range(5)])
    ledger = reference(flow("size = fixed(10); max_bars = 2"), market)
    assert orders(ledger) == [(0, 10), (2, -10)]
    assert math.isnan(ledger.orders["price"][1])  # a market order: it fills at the close of step 2
    assert fills(ledger) == [(0, 10, 100), (2, -10, 102)]
    ledger = reference(flow("size = fixed(10); max_bars = 2", fill="next_open"), market)
    assert fills(ledger) == [(1, 10, 101), (3, -10, 103)]  # ordered at 0 and 2, filled at the next opens


def test_after_a_time_stop_the_position_stays_flat_until_the_direction_changes():
    market = bars(*[(100, 101, 99, 100, s) for s in (1, 1, 1, 1, 0, 1)])
    ledger = reference(flow("size = fixed(10); max_bars = 1"), market)
    assert orders(ledger) == [(0, 10), (1, -10), (5, 10)]


# ---- sizes from expressions ---------------------------------------------------------------------------


def test_units_are_whole_unless_fractional():
    market = bars((100, 100, 100, 100, 1))
    assert orders(reference(flow("size = units(2.75)"), market)) == [(0, 2)]
    assert orders(reference(flow("size = units(2.75); fractional = true"), market)) == [(0, 2.75)]
    assert orders(reference(flow("size = units(2.75); long_only = false"), bars((100, 100, 100, 100, -1)))) == \
        [(0, -2)]


def test_weight_percent_equity_and_risk_percent_size_from_the_equity():
    market = bars((30, 30, 30, 30, 1))
    assert orders(reference(flow("size = weight(0.5)"), market)) == [(0, 16)]  # floor(500 / 30)
    assert orders(reference(flow("size = percent_equity(50)"), market)) == [(0, 16)]
    assert orders(reference(flow("size = risk_percent(1, hl + 0.5)"), market)) == [(0, 20)]  # 10 at risk / 0.5


def test_an_undefined_size_sends_nothing_and_tries_again():
    market = bars((100, 100, 100, 100, 1), (100, 100, 100, 100, 1), (100, 100, 100, 100, 1))
    ledger = reference(flow("size = units(shift(c, 2) / 10)"), market)  # undefined for two bars
    assert orders(ledger) == [(2, 10)]


def test_rebalance_on_a_condition_resizes_where_it_holds():
    market = bars((100, 100, 100, 100, 1), (110, 110, 110, 110, 1), (120, 120, 120, 120, 1), (90, 90, 90, 90, 1))
    ledger = reference(flow("size = units(c / 10); rebalance = c > 105"), market)
    assert orders(ledger) == [(0, 10), (1, 1), (2, 1)]  # 10, then 11 and 12; at 90 no rebalance


def test_the_signal_strength_as_a_weight():
    market = bars((10, 10, 10, 10, 0.25), (10, 10, 10, 10, 0.5))
    ledger = reference(flow("size = weight(strength); rebalance = true"), market)
    assert orders(ledger) == [(0, 25), (1, 25)]  # a quarter of 1000, then half of the equity


# ---- reads of the book -------------------------------------------------------------------------------


def test_bars_held_counts_the_bars_since_the_opening_order():
    market = bars(*[(100, 101, 99, 100 + k, 1) for k in range(4)])
    ledger = reference(flow("size = units(1 + bars_held); rebalance = true"), market)
    assert orders(ledger) == [(0, 1), (1, 1), (2, 1), (3, 1)]  # 1, 2, 3, 4 units held


def test_entry_price_is_read_before_the_steps_order():
    """At the opening step the book is still flat (entry_price NaN): a level from it is placed from the next step."""
    market = bars((100, 100, 100, 100, 1), (100, 101, 99, 100, 1), (101, 103, 100, 102, 1))
    ledger = reference(flow("size = fixed(10); take_profit = price(entry_price + 2, each_bar = true)"), market)
    assert fills(ledger) == [(0, 10, 100), (2, -10, 102)]


def test_position_is_the_portfolios_as_of_the_previous_step_and_unrealised_pnl_the_reference_entrys():
    market = bars(*[(100, 101, 99, 100 + 2 * k, 1) for k in range(3)])
    ledger = reference(flow("size = units(10 - position / 2 + unrealised_pnl / 20); rebalance = true"), market)
    # step 0: position 0, flat: 10 units. Step 1: position 10 (filled at step 0's close), pnl 10 * 2:
    # 10 - 5 + 1 = 6. Step 2: position 6, pnl 6 * (104 - 100) = 24: 10 - 3 + 1.2 = 8.2 -> 8
    assert orders(ledger) == [(0, 10), (1, -4), (2, 2)]


# ---- checks when the file is read ----------------------------------------------------------------------


@pytest.mark.parametrize(("risk", "code"), [
    ("size = atr(14)", "FL503"),
    ("size = units(2); stop_loss = hl", "FL501"),
    ("size = units(2); stop_loss = distance(0)", "FL509"),
    ("size = units(2); stop_loss = distance(hl, each_bar = hl)", "FL501"),
    ("size = units(nope)", "FL201"),
    ("size = units(2); take_profit = price(2); trailing_stop = price(3)", "FL503"),
    ("size = units(2); max_bars = 0", "FL509"),
])
def test_bad_risk_settings_are_diagnosed(risk, code):
    assert [c for c, _ in errors(flow(risk))] == [code]


def test_exits_and_reads_of_the_entry_need_a_bar_route():
    no_bar = flow("size = units(1 + bars_held)").replace("risk, execution", "execution")
    assert [c for c, _ in errors(no_bar)] == ["FL209"]
    assert not errors(flow("size = units(1 + equity / 1000)").replace("risk, execution", "execution"))


def test_a_feature_named_like_the_book_is_ambiguous():
    assert [c for c, _ in errors(flow("size = units(2)").replace("c = close", "equity = close"))] == ["FL306"]


# ---- the compiled engine ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_compiled_engine_agrees(tmp_path):
    risk = ("size = risk_percent(1, hl + 0.5); long_only = false; fractional = true; rebalance = bars_held == 2; "
            "stop_loss = distance(hl, each_bar = true); take_profit = price(c + 3); max_bars = 3")
    path = tmp_path / "agree.flow"
    path.write_text(flow(risk, "next_open"))
    prepared = prepare(path)
    market = bars(*[(100 + k % 5, 103 + k % 7, 97 - k % 3, 100 + (k * 7) % 9 - 4, (-1) ** (k // 4))
                    for k in range(40)])
    prepared.market = market
    compiled = run_prepared(prepared, engine="compiled")
    assert compiled.same_as(run_reference(prepared.analysis, market, list(prepared.params())))
    assert len(compiled.fills) > 5
