"""Exits (`stop_loss`, `take_profit`, `trailing_stop`): hand-computed cases, and both engines agreeing.

The definitions are docs/semantics.md, section 6a. The hand cases run one topology whose exits
are params (1000 % switches an exit off: its level is never reached), with `signal = volume`
as the control channel, on bars written here as `(open, high, low, close, signal)`. They run
in the reference engine, and the same topology in the compiled engine must agree; with the
richer topology of `RICH` they make a pool of two shapes, so two numba compilations in all,
while hypothesis varies prices and parameters.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.compiler.workflow import analyse
from flowc.dsl.loader import load_text
from flowc.runtime.data import MarketData
from flowc.runtime.ledger import Ledger
from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.reference import run_reference

NAN = math.nan
OFF = 1000.0  # an exit at 1000 % is never reached: its level is negative, or eleven times the entry

HAND = """
param sl: float = 1000
param tp: float = 1000
param tr: float = 1000
param lo: bool = true
containers t { backtest: backtest {
    data: data { source = sample("sp500", symbol = "A") }
    strategy: strategy { signal = volume }
    risk: risk { size = fixed(10); long_only = lo; stop_loss = sl; take_profit = tp; trailing_stop = tr }
    execution: execution { fill = close() }
    portfolio: portfolio { cash = 1000 }
} }
communication c {
    pipeline data -> strategy -> risk -> execution -> portfolio
    broadcast data -> risk, execution, portfolio : BAR
}
workflow w { containers = t; communication = c }
"""

# Three symbols, next-open fills with costs, exit orders routed by their price to their own
# execution, percent-of-equity sizing through the feedback, and a second risk with a trailing stop only.
RICH = """
param sl: float = 3
param tp: float = 6
param tr: float = 4
param tr2: float = 2
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 300, symbols = 3, seed = 7) }
    features: feature { f = ema(close, 5); s = sma(close, 15) }
    trend: strategy { signal = crossover(f, s) }
    mom: strategy { signal = momentum(close, 4) }
    risk_a: risk { size = percent_equity(20); long_only = false; stop_loss = sl; take_profit = tp; trailing_stop = tr }
    risk_b: risk { size = fixed(7); combine = unanimous; trailing_stop = tr2; rebalance = true }
    execution: execution { fill = next_open(); commission = percent(0.1); slippage = bps(5) }
    stops: execution { fill = next_open(); commission = per_share(0.01) }
    portfolio: portfolio { cash = 100_000 }
} }
communication w {
    pipeline data -> features -> trend -> risk_a
    route features -> mom : FEATURE
    route trend, mom -> risk_b : SIGNAL
    selective risk_a -> { price == price => stops, else => execution } : ORDER
    route risk_b -> execution : ORDER
    route execution, stops -> portfolio : FILL
    broadcast data -> mom, risk_a, risk_b, execution, stops, portfolio : BAR
    feedback portfolio -> risk_a : PORTFOLIO
}
workflow w { containers = c; communication = w }
"""


# ---- helpers --------------------------------------------------------------------------------


def bars(*rows: tuple[float, float, float, float, float] | None, symbol: str = "A") -> MarketData:
    """One symbol's bars, `(open, high, low, close, signal)` each; None is a step without a bar."""
    steps = len(rows)
    present = np.array([[r is not None] for r in rows])
    columns = [np.array([[NAN if r is None else r[k]] for r in rows], float) for k in range(5)]
    return MarketData((symbol,), np.arange(steps, dtype=np.int64), *columns, present)


def fills(ledger: Ledger) -> list[tuple[int, float, float]]:
    """(step, quantity, price)"""
    return [(int(f["step"]), float(f["quantity"]), float(f["price"])) for f in ledger.fills]


def orders(ledger: Ledger) -> list[tuple[int, float]]:
    """(step, quantity)"""
    return [(int(o["step"]), float(o["quantity"])) for o in ledger.orders]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    made = {}
    for name, text in (("hand", HAND), ("rich", RICH)):
        path = tmp_path_factory.mktemp(name) / f"{name}.flow"
        path.write_text(text)
        made[name] = prepare(path)
    return made


def both(prepared, market: MarketData, values: dict[str, object] | None = None, trade_from: int = 0) -> Ledger:
    """Run both engines; they must agree bit for bit. The reference's ledger is returned."""
    prepared.market = market
    reference = run_reference(prepared.analysis, market, list(prepared.params(values)), trade_from=trade_from)
    compiled = run_prepared(prepared, values, trade_from=trade_from)
    assert compiled.same_as(reference)
    return reference


def reference(text: str, market: MarketData) -> Ledger:
    analysis = analyse(load_text(text, "test.flow"))
    assert not [d for d in analysis.diagnostics if d.is_error], analysis.diagnostics
    return run_reference(analysis, market)


def errors(text: str) -> list[tuple[str, str]]:
    analysis = analyse(load_text(text, "test.flow"))
    return [(d.code, d.message) for d in analysis.diagnostics if d.is_error]


def level(price: float, pct: float, sign: float) -> float:
    """The exit level, computed as the semantics write it: `price * (1.0 - pct / 100.0)` (sign -1)."""
    return price * (1.0 + sign * pct / 100.0)


# ---- stop loss --------------------------------------------------------------------------------


def test_stop_loss_fills_at_the_stop_or_at_the_open_through_a_gap_and_stays_flat_until_the_signal_changes(shapes):
    ledger = both(shapes["hand"], bars(
        (100, 100, 100, 100, 1),  # enter long 10 at the close: entry 100, stop 97
        (99, 101, 96, 98, 1),  # the low reaches 97: out at 97
        (98, 99, 97, 98, 1),  # same direction: stays flat
        (98, 99, 97, 98, 0),  # the direction changes: the latch lifts (nothing to send, already flat)
        (98, 99, 97, 99, 1),  # a new long at 99: stop 96.03
        (95, 96, 94, 95, 1),  # opens below the stop: out at the open
    ), {"sl": 3})
    assert fills(ledger) == [(0, 10, 100), (1, -10, level(100, 3, -1)), (4, 10, 99), (5, -10, 95)]
    assert level(100, 3, -1) == 97.0


def test_the_bar_that_opens_the_position_is_not_checked(shapes):
    ledger = both(shapes["hand"], bars((100, 100, 50, 100, 1), (100, 100, 99, 100, 1)), {"sl": 3})
    assert fills(ledger) == [(0, 10, 100)]  # a low of 50 on the entry bar: the book was flat when exits ran


def test_a_short_stop_loss_buys_back_at_the_stop(shapes):
    ledger = both(shapes["hand"], bars((100, 100, 100, 100, -1), (101, 104, 100, 102, -1), (101, 101, 101, 101, -1)),
                  {"sl": 3, "lo": False})
    assert fills(ledger) == [(0, -10, 100), (1, 10, level(100, 3, 1))]


def test_without_a_bar_nothing_is_checked_and_the_next_bar_can_gap_through(shapes):
    ledger = both(shapes["hand"], bars((100, 100, 100, 100, 1), None, (95, 99, 94, 98, 1)), {"sl": 3})
    assert fills(ledger) == [(0, 10, 100), (2, -10, 95)]


# ---- take profit ------------------------------------------------------------------------------


def test_take_profit_fills_at_the_target_or_at_a_better_open(shapes):
    ledger = both(shapes["hand"], bars(
        (100, 100, 100, 100, 1),  # long at 100: target 105
        (101, 104, 99, 103, 1),
        (103, 106, 102, 104, 1),  # the high reaches 105: out at 105
        (104, 104, 104, 104, 0),
        (104, 104, 104, 104, 1),  # long at 104: target 109.2
        (110, 111, 109, 110, 1),  # opens above the target: out at the open, 110
    ), {"tp": 5})
    assert fills(ledger) == [(0, 10, 100), (2, -10, 105), (4, 10, 104), (5, -10, 110)]
    assert level(104, 5, 1) == 109.2


def test_a_short_take_profit_buys_back_at_the_target(shapes):
    ledger = both(shapes["hand"], bars((100, 100, 100, 100, -1), (99, 100, 94, 96, -1)), {"tp": 5, "lo": False})
    assert fills(ledger) == [(0, -10, 100), (1, 10, 95)]


def test_when_one_bar_reaches_the_stop_and_the_target_the_stop_wins(shapes):
    ledger = both(shapes["hand"], bars((100, 100, 100, 100, 1), (100, 106, 96, 100, 1)), {"sl": 3, "tp": 5})
    assert fills(ledger) == [(0, 10, 100), (1, -10, 97)]


# ---- trailing stop ----------------------------------------------------------------------------


def test_trailing_stop_follows_the_highest_high_from_the_next_bar_on(shapes):
    ledger = both(shapes["hand"], bars(
        (100, 100, 100, 100, 1),  # long at 100: extreme 100, stop 90
        (100, 120, 95, 115, 1),  # 95 > 90: no exit; only then the extreme becomes 120 (no look-ahead)
        (115, 116, 107, 110, 1),  # stop 108, the low reaches it
    ), {"tr": 10})
    assert fills(ledger) == [(0, 10, 100), (2, -10, level(120, 10, -1))]
    assert level(120, 10, -1) == 108.0


def test_with_a_stop_loss_and_a_trailing_stop_the_tighter_level_is_the_stop(shapes):
    ledger = both(shapes["hand"], bars(
        (100, 100, 100, 100, 1),  # stop loss 95, trailing 90: stop 95
        (100, 130, 96, 125, 1),  # no exit; extreme 130
        (125, 126, 116, 120, 1),  # trailing 117 > 95: out at 117
    ), {"sl": 5, "tr": 10})
    assert fills(ledger) == [(0, 10, 100), (2, -10, level(130, 10, -1))]


def test_a_short_trailing_stop_follows_the_lowest_low(shapes):
    ledger = both(shapes["hand"], bars(
        (100, 100, 100, 100, -1),  # short at 100: stop 110
        (100, 104, 80, 85, -1),  # no exit; extreme 80
        (90, 91, 84, 88, -1),  # stop 88, and the open is above it: out at the open
    ), {"tr": 10, "lo": False})
    assert fills(ledger) == [(0, -10, 100), (2, 10, 90)]
    assert level(80, 10, 1) == 88.0


# ---- the latch --------------------------------------------------------------------------------


def test_after_an_exit_a_new_direction_opens_at_once(shapes):
    ledger = both(shapes["hand"], bars((100, 100, 100, 100, 1), (99, 101, 96, 98, 1), (98, 99, 97, 98, -1)),
                  {"sl": 3, "lo": False})
    assert fills(ledger) == [(0, 10, 100), (1, -10, 97), (2, -10, 98)]


def test_a_direction_change_on_the_exit_bar_lifts_the_latch(shapes):
    ledger = both(shapes["hand"], bars((100, 100, 100, 100, 1), (99, 101, 96, 98, 0), (98, 99, 97, 98, 1)),
                  {"sl": 3})
    assert fills(ledger) == [(0, 10, 100), (1, -10, 97), (2, 10, 98)]
    ledger = both(shapes["hand"], bars((100, 100, 100, 100, 1), (99, 101, 96, 98, 1), (98, 99, 97, 98, 1)),
                  {"sl": 3})
    assert fills(ledger) == [(0, 10, 100), (1, -10, 97)]


def test_nothing_is_checked_before_trade_from(shapes):
    ledger = both(shapes["hand"], bars((100, 100, 100, 100, 1), (100, 100, 100, 100, 1), (99, 101, 96, 98, 1)),
                  {"sl": 3}, trade_from=1)
    assert fills(ledger) == [(1, 10, 100), (2, -10, 97)]


# ---- execution of an exit order ---------------------------------------------------------------


NEXT_OPEN = """
containers t { backtest: backtest {
    data: data { source = sample("sp500", symbol = "A") }
    strategy: strategy { signal = volume }
    risk: risk { size = fixed(10); stop_loss = 3 }
    execution: execution { fill = next_open(); commission = percent(1); slippage = bps(100) }
    stops: execution { fill = close() }
    portfolio: portfolio { cash = 1000 }
} }
communication c {
    pipeline data -> strategy -> risk
    selective risk -> { price == price => stops, else => execution } : ORDER
    route execution, stops -> portfolio : FILL
    broadcast data -> risk, execution, stops, portfolio : BAR
}
workflow w { containers = t; communication = c }
"""


def test_an_exit_order_fills_on_its_own_bar_at_its_price_whatever_the_fill_mode():
    text = NEXT_OPEN.replace("stops, else => execution", "execution, else => execution")
    ledger = reference(text, bars((100, 100, 100, 100, 1), (99, 101, 96, 98, 1)))
    # the entry was sent at the close of step 0: it fills at step 1's open, then the exit at 97, same bar
    entry = 99 + (100 / 10000.0) * 99
    out = 97 - (100 / 10000.0) * 97
    assert fills(ledger) == [(1, 10, entry), (1, -10, out)]
    assert [float(f["commission"]) for f in ledger.fills] == [1 / 100.0 * 10 * entry, 1 / 100.0 * 10 * out]
    assert orders(ledger) == [(0, 10), (1, -10)]


def test_a_route_predicate_reads_the_price_of_an_order():
    ledger = reference(NEXT_OPEN, bars((100, 100, 100, 100, 1), (95, 101, 94, 98, 1)))
    assert fills(ledger) == [(1, 10, 95 + (100 / 10000.0) * 95), (1, -10, 95)]
    assert [int(f["execution"]) for f in ledger.fills] == [0, 1]  # the market order to `execution`, the exit to `stops`


# ---- diagnostics ------------------------------------------------------------------------------


def test_exits_need_a_bar_route_and_positive_literals():
    no_bar = HAND.replace("broadcast data -> risk, execution, portfolio : BAR",
                          "broadcast data -> execution, portfolio : BAR")
    assert errors(no_bar) == [("FL209", "`stop_loss` reads each bar's open, high and low, and no route delivers "
                                        "BAR to `risk`")]
    for good, bad in (("stop_loss = sl", "stop_loss = 0"), ("take_profit = tp", "take_profit = -2"),
                      ("trailing_stop = tr", "trailing_stop = 0.0")):
        assert [code for code, _ in errors(HAND.replace(good, bad))] == ["FL509"], bad
    assert [code for code, _ in errors(HAND.replace("stop_loss = sl", "stop_los = sl"))] == ["FL504"]


def test_exit_levels_are_parameters_of_one_compiled_program(shapes):
    from flowc.compiler.plan import build_plan

    plan, problems = build_plan(analyse(load_text(HAND.replace("float = 1000", "float = 2"), "test.flow")))
    assert plan is not None and not problems
    assert plan.digest == shapes["hand"].plan.digest
    assert "setting stop_loss = Slot" in plan.structure()


# ---- the compiled engine against the reference, on random prices ------------------------------


def _random_market(symbols: tuple[str, ...], steps: int, seed: int, holes: float, range_: float) -> MarketData:
    """Random walks with wide bars (so that stops and targets are reached), some bars missing,
    and a persistent random signal in `volume` (-1, 0 or +1) for the `signal = volume` topology."""
    rng = np.random.default_rng(seed)
    shape = (steps, len(symbols))
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, shape), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.01, shape))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, range_, shape))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, range_, shape))
    switch = rng.uniform(size=shape) < 0.15
    signal = np.where(switch, rng.integers(-1, 2, shape), 0).astype(float)
    for t in range(1, steps):
        signal[t] = np.where(switch[t], signal[t], signal[t - 1])
    present = rng.uniform(size=shape) >= holes
    present[0] = True
    arrays = [np.where(present, a, NAN) for a in (open_, high, low, close, signal)]
    return MarketData(symbols, np.arange(steps, dtype=np.int64), *arrays, present)


LEVELS = st.one_of(st.just(OFF), st.floats(0.5, 15))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.2]), sl=LEVELS, tp=LEVELS, tr=LEVELS,
       lo=st.booleans(), trade_from=st.sampled_from([0, 0, 40]))
def test_hand_shape_agrees_on_random_prices(shapes, seed, holes, sl, tp, tr, lo, trade_from):
    market = _random_market(("A",), 200, seed, holes, 0.03)
    ledger = both(shapes["hand"], market, {"sl": sl, "tp": tp, "tr": tr, "lo": lo}, trade_from)
    if (sl, tp, tr) != (OFF, OFF, OFF):
        assert len(ledger.orders) >= len(ledger.fills) > 0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.1, 0.3]), sl=LEVELS, tp=LEVELS,
       tr=st.floats(0.5, 15), tr2=st.floats(0.5, 10), range_=st.sampled_from([0.005, 0.03]))
def test_rich_shape_agrees_on_random_prices(shapes, seed, holes, sl, tp, tr, tr2, range_):
    prepared = shapes["rich"]
    market = _random_market(prepared.market.symbols, 300, seed, holes, range_)
    ledger = both(prepared, market, {"sl": sl, "tp": tp, "tr": tr, "tr2": tr2})
    assert len(ledger.fills) > 0


def test_rich_shape_sends_exit_orders_through_their_own_execution(shapes):
    prepared = shapes["rich"]
    ledger = both(prepared, _random_market(prepared.market.symbols, 300, 0, 0.1, 0.03))
    stops = ledger.fills[ledger.fills["execution"] == 1]  # `stops`: only exit orders go there
    assert len(stops) > 10
    assert (stops["quantity"] != 0).all()
