"""Limit, stop and stop-limit entries: the fill rules, time in force, netting, and the records (docs/semantics.md, 7).

Each hand case runs a small topology on bars written as `(open, high, low, close, signal)` in the
reference engine (the signal is the volume column) and checks orders, fills and statuses by hand;
`test_the_compiled_engine_agrees` runs the same cases compiled. Random topologies and data are
`tests/test_differential.py` ("orders").
"""

from __future__ import annotations

import math

import pytest

from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.reference import run_reference

from .test_exits import bars, errors, fills, reference
from .test_risk_settings import flow


def limit(entry: str, extra: str = "", fill: str = "next_open") -> str:
    size = "" if "size" in extra else "size = fixed(10); "
    return flow(f"{size}long_only = false; entry = {entry}; {extra}", fill)


def records(ledger) -> list[tuple[int, float, float, int]]:
    """(step, quantity, price, status) of every order record."""
    return [(int(o["step"]), float(o["quantity"]), float(o["price"]), int(o["status"])) for o in ledger.orders]


CASES = {  # name: (risk settings, fill mode, bars)
    "limit_at_level": ("limit(c - 1)", "", "next_open", [
        (100, 101, 99, 100, 1),  # a limit buy of 10 at 99, sent at the close
        (100, 101, 99.5, 100, 1),  # the low stays above 99
        (100, 100, 98, 99, 1),  # the low reaches it: filled at 99
    ]),
    "limit_gap": ("limit(c - 1)", "", "next_open", [(100, 101, 99, 100, 1), (98, 99, 97, 98, 1)]),
    "limit_sell": ("limit(c + 1)", "", "next_open", [
        (100, 101, 99, 100, -1), (100, 100.5, 99, 100, -1), (100, 101.5, 99, 100, -1), (102, 103, 101, 102, -1)]),
    "stop_buy": ("stop(c + 1)", "", "next_open", [
        (100, 101, 99, 100, 1), (100, 100.5, 99, 100, 1), (100, 102, 99, 101, 1), (103, 104, 102, 103, 1)]),
    "stop_sell_gap": ("stop(c - 1)", "", "next_open", [(100, 101, 99, 100, -1), (97, 98, 96, 97, -1)]),
    "cancelled": ("limit(c - 1)", "", "next_open", [
        (100, 101, 99, 100, 1), (100, 101, 99.5, 100, 0), (100, 100, 98, 99, 0)]),
    "filled_then_sold": ("limit(c - 1)", "", "next_open", [
        (100, 101, 99, 100, 1), (100, 100, 98, 99, 0), (97, 98, 96, 97, 0)]),
    "expired": ("limit(c - 1, bars = 2)", "", "next_open", [
        (100, 101, 99, 100, 1), (100, 101, 99.5, 100, 1), (100, 101, 99.5, 100, 1), (98, 99, 97, 98, 1)]),
    "day": ("limit(c - 1, bars = 1)", "", "next_open", [(100, 101, 99, 100, 1), (100, 101, 99.5, 100, 1)]),
    "reversal": ("limit(c + direction)", "", "next_open", [
        (100, 101, 99, 100, 1), (100, 102, 100, 101, -1), (101, 103, 100, 102, -1)]),
    "reduced": ("limit(c - 1)", "size = units(c - 90); rebalance = true", "next_open", [
        (100, 101, 99.5, 100, 1), (100, 100, 99.5, 95, 1), (95, 95, 93, 94, 1)]),
    "undefined_level": ("limit(shift(c, 1) - 1)", "", "next_open", [
        (100, 101, 99, 100, 1), (100, 101, 99.5, 100, 1), (100, 100, 98, 99, 1)]),
    "exit_cancels": ("limit(c - 1)", "stop_loss = distance(0.5)", "next_open", [
        (100, 101, 99.5, 100, 1), (99.8, 100, 99.4, 99.6, 1), (97, 98, 96, 97, 1)]),
    "exit_after_fill": ("limit(c - 1)", "stop_loss = distance(2)", "next_open", [
        (100, 101, 99.5, 100, 1), (99.5, 100, 97.5, 98.2, 1), (97, 98, 96, 97, 1)]),
    "stop_limit_open": ("stop_limit(c + 1, c + 2)", "", "next_open", [
        (100, 101, 99, 100, 1), (101.5, 103, 101, 102, 1)]),
    "stop_limit_open_above": ("stop_limit(c + 1, c + 2)", "", "next_open", [
        (100, 101, 99, 100, 1), (103, 104, 101.5, 102, 1)]),
    "stop_limit_within": ("stop_limit(c + 1, c + 2)", "", "next_open", [
        (100, 101, 99, 100, 1), (100, 102, 99, 101, 1), (101.5, 102, 101, 101.5, 1)]),
    "stop_limit_sell": ("stop_limit(c - 1, c - 2, bars = 3)", "", "next_open", [
        (100, 101, 99, 100, -1), (98.5, 99, 97, 98, -1)]),
    "stop_limit_expires": ("stop_limit(c + 1, c + 2, bars = 2)", "", "next_open", [
        (100, 101, 99, 100, 1), (100, 104, 99, 103, 1), (103, 104, 102.5, 103, 1), (100, 100, 99, 100, 1)]),
    "on_close": ("market_on_close()", "", "next_open", [
        (100, 101, 99, 100, 1), (101, 102, 100, 101, 0), (102, 103, 101, 102, -1), None, (103, 104, 102, 103, 0),
        (104, 105, 103, 104, 0)]),
    "close_fill": ("stop(c + 1)", "", "close", [(100, 101, 99, 100, 1), (100, 102, 99, 101, 0)]),
    "committed_limit": ("limit(c - 5)", "book = committed", "next_open", [
        (100, 101, 99, 100, 1), (100, 101, 99, 100, 1), (100, 101, 99, 100, 1), (96, 97, 94, 95, 1),
        (95, 96, 94, 95, 1)]),
    "committed_market": ("market()", "book = committed", "next_open", [
        (100, 101, 99, 100, 1), (101, 102, 100, 101, 1), (102, 103, 101, 102, 1), (103, 104, 102, 103, 0),
        (104, 105, 103, 104, 0)]),
    "working_read": ("limit(c - 1)", "size = units(10 + working); rebalance = true", "next_open", [
        (100, 101, 99.5, 100, 1), (100, 101, 99.5, 100, 1), (100, 100, 98, 99, 1), (99, 100, 98.5, 99, 1)]),
}


def case(name: str):
    entry, extra, fill, rows = CASES[name]
    return reference(limit(entry, extra, fill), bars(*rows))


def test_a_limit_buy_fills_at_its_level_when_the_low_reaches_it():
    ledger = case("limit_at_level")
    assert records(ledger) == [(0, 10, 99, 0)]  # the order's price is its level; status 0: sent
    assert fills(ledger) == [(2, 10, 99)]


def test_a_limit_buy_fills_at_the_open_when_the_bar_opens_through_it():
    assert fills(case("limit_gap")) == [(1, 10, 98)]


def test_a_limit_sell_mirrors_it():
    assert fills(case("limit_sell")) == [(2, -10, 101)]  # the high reached 101 on bar 2


def test_a_stop_buy_fills_at_its_level_when_the_high_reaches_it():
    assert fills(case("stop_buy")) == [(2, 10, 101)]


def test_a_stop_sell_fills_at_the_open_through_a_gap():
    assert fills(case("stop_sell_gap")) == [(1, -10, 97)]


def test_an_opposite_order_cancels_a_working_limit_and_nothing_fills():
    ledger = case("cancelled")
    assert _nan_equal(records(ledger), [(0, 10, 99, 0), (1, -10, math.nan, 0), (1, 10, 99, 1)])
    assert fills(ledger) == [] and len(ledger.unfilled) == 0


def test_after_the_limit_filled_the_sell_is_a_market_order():
    ledger = case("filled_then_sold")
    assert fills(ledger) == [(1, 10, 99), (2, -10, 97)]  # filled on bar 1 before the decision at its close


def test_a_limit_expires_after_its_bars_and_is_recorded():
    ledger = case("expired")
    assert records(ledger) == [(0, 10, 99, 0), (2, 10, 99, 2)]  # status 2: expired after bars 1 and 2
    assert fills(ledger) == []  # bar 3 opens through 99, too late


def test_a_day_order_works_one_bar():
    assert records(case("day")) == [(0, 10, 99, 0), (1, 10, 99, 2)]


def test_a_reversal_is_one_order_of_the_entry_type():
    ledger = case("reversal")
    assert _nan_equal(records(ledger), [(0, 10, 101, 0), (1, -20, 100, 0)])  # 101 - 1: a sell limit at 100
    assert fills(ledger) == [(1, 10, 100), (2, -20, 101)]  # bar 1: open 100 <= 101; bar 2: opens above 100


def test_an_opposite_market_order_reduces_a_working_limit():
    ledger = case("reduced")  # 10 units at 99 (not reached on bar 1), then 5 after its close of 95
    assert _nan_equal(records(ledger), [(0, 10, 99, 0), (1, -5, math.nan, 0), (1, 5, 99, 1), (2, -1, math.nan, 0)])
    assert fills(ledger) == [(2, 5, 95)]  # 5 still work; bar 2 opens through 99
    assert [float(u["quantity"]) for u in ledger.unfilled] == [-1.0]  # sent at the last close


def test_an_undefined_level_sends_nothing_and_is_tried_again():
    ledger = case("undefined_level")
    assert records(ledger) == [(1, 10, 99, 0)]  # the close before bar 1, less 1
    assert fills(ledger) == [(2, 10, 99)]


def test_an_exit_cancels_the_working_entry():
    ledger = case("exit_cancels")  # a stop 0.5 below the close of 100, reached; the limit at 99 is not
    assert _nan_equal(records(ledger), [(0, 10, 99, 0), (1, -10, 99.5, 0), (1, 10, 99, 1)])
    assert fills(ledger) == []


def test_an_exit_on_the_bar_its_entry_filled_within_waits_for_the_next_open():
    # the limit fills at 99 past bar 1's open; whether the low of 97.5 came before or after it is
    # unknown, so the stop at 98 fills as a market order: at bar 2's open
    assert fills(case("exit_after_fill")) == [(1, 10, 99), (2, -10, 97)]


def test_working_orders_fill_against_the_bar_in_close_mode_too():
    assert fills(case("close_fill")) == [(1, 10, 101), (1, -10, 101)]  # the stop's level; then the close


def test_a_stop_limit_triggered_by_the_open_is_a_limit_on_that_bar():
    assert fills(case("stop_limit_open")) == [(1, 10, 101.5)]  # stop 101, limit 102: opens between them
    assert fills(case("stop_limit_open_above")) == [(1, 10, 102)]  # opens above the limit; the low reaches it
    assert fills(case("stop_limit_sell")) == [(1, -10, 98.5)]  # stop 99, limit 98: opens between them


def test_a_stop_limit_triggered_within_a_bar_is_a_limit_from_the_next_bar():
    assert fills(case("stop_limit_within")) == [(2, 10, 101.5)]  # bar 1's low, 99, is not checked against 102
    ledger = case("stop_limit_expires")  # triggered on bar 1, the limit 102 not reached on bar 2: expired
    assert records(ledger) == [(0, 10, 101, 0), (2, 10, 101, 2)]  # the record's price: the stop
    assert fills(ledger) == []


def test_a_market_on_close_entry_fills_at_the_close_of_its_bar():
    ledger = case("on_close")
    assert _nan_equal(records(ledger), [(0, 10, 100, 0), (1, -10, math.nan, 0), (2, -10, 102, 0), (4, 10, math.nan, 0)])
    # the entries at the close of their bar, the exits at the next open (bar 3 is missing)
    assert fills(ledger) == [(0, 10, 100), (2, -10, 102), (2, -10, 102), (5, 10, 104)]


def test_risk_reads_its_working_orders_as_they_stood_at_the_step_before():
    """`working` (docs/semantics.md, 6b): the working quantity at the end of t - 1, before this step's fills.
    Sized `10 + working` at every step: 10; then 20 while 10 works (+10 joins it); the 20 fill at 99 on
    bar 2, whose decision still reads 20 (+10 at 98); on bar 3 it reads that 10, and the -10 cancels it."""
    ledger = case("working_read")
    assert _nan_equal(records(ledger), [(0, 10.0, 99.0, 0), (1, 10.0, 99.0, 0), (2, 10.0, 98.0, 0),
                                         (3, -10.0, math.nan, 0), (3, 10.0, 98.0, 1)])
    assert fills(ledger) == [(2, 20.0, 99.0)]


def test_book_position_sends_again_what_is_still_in_flight():
    """The trap `book = committed` closes (docs/semantics.md, 6): with `book = position` the portfolio's
    position at t - 1 does not hold an order still working, so it is sent again at every step and the
    working order grows; a market order filled at the next open is sent again the same way."""
    entry, _, fill, rows = CASES["committed_limit"]
    ledger = reference(limit(entry, "book = position", fill), bars(*rows))
    assert [r[1] for r in records(ledger) if r[3] == 0] == [10.0, 10.0, 10.0, 10.0, -20.0]
    assert fills(ledger) == [(3, 30.0, 95.0)]  # three sends filled as one at the level, 30 held for a target of 10


def test_book_committed_counts_the_orders_still_in_flight():
    ledger = case("committed_limit")  # the limit buy works from bar 1 and fills at 95 within bar 3
    assert records(ledger) == [(0, 10.0, 95.0, 0)] and fills(ledger) == [(3, 10.0, 95.0)]
    ledger = case("committed_market")  # pending at bar 0's end, filled at bar 1's open: sent once
    assert [(r[0], r[1]) for r in records(ledger)] == [(0, 10.0), (3, -10.0)]
    assert fills(ledger) == [(1, 10.0, 101.0), (4, -10.0, 104.0)]


def test_working_needs_an_entry_that_works():
    (code, message), *_ = errors(flow("size = units(10 + working)"))
    assert code == "FL209" and "`size_x` of `risk` reads `working`" in message


def test_a_working_order_at_the_end_is_unfilled():
    ledger = reference(limit("limit(c - 5)"), bars((100, 101, 99, 100, 1), (100, 101, 99, 100, 1)))
    assert [(int(u["symbol"]), float(u["quantity"])) for u in ledger.unfilled] == [(0, 10.0)]


def test_entry_settings_are_checked():
    assert errors(limit("limit(c - 1, bars = -1)"))[0][0] == "FL509"
    assert errors(limit("limit(c - 1, bars = c)"))[0][0] == "FL501"
    assert errors(limit("stop(c - 1, bars = 1.5)"))[0][0] == "FL501"  # a whole number of bars
    assert errors(limit("stop_limit(c + 1, bars = 1)"))[0][0] == "FL502"  # the limit is missing
    assert errors(limit("market_order()"))[0][0] == "FL503"
    assert errors(limit("c - 1"))[0][0] == "FL501"


def _nan_equal(a, b) -> bool:
    return len(a) == len(b) and all(
        all(x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y)) for x, y in zip(r, s, strict=True))
        for r, s in zip(a, b, strict=True))


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_compiled_engine_agrees(tmp_path, name):
    entry, extra, fill, rows = CASES[name]
    path = tmp_path / f"{name}.flow"
    path.write_text(limit(entry, extra, fill))
    prepared = prepare(path)
    prepared.market = bars(*rows)
    compiled = run_prepared(prepared, engine="compiled")
    assert compiled.same_as(run_reference(prepared.analysis, prepared.market, list(prepared.params())))


def test_limit_entry_on_the_bundled_sample():
    """Issue 16's acceptance example; the same numbers come from a plain loop over the CSV by its definition."""
    from tests.conftest import EXAMPLES

    prepared = prepare(EXAMPLES / "limit_entry.flow")
    ledger = run_reference(prepared.analysis, prepared.market, list(prepared.params()))
    assert float(ledger.equity[-1, 0]) == 937698.8117383142
    assert len(ledger.fills) == 184
    status = ledger.orders["status"]
    assert (status == 0).sum() == 364 and (status == 1).sum() == 90 and (status == 2).sum() == 0
    cancelled = ledger.orders[status == 1]
    assert (cancelled["quantity"] == 100.0).all()
