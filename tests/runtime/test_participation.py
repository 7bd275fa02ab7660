"""The participation cap and the entry spread of an execution container (docs/semantics.md, 7).

Hand cases on bars written as `(open, high, low, close, volume)`; the strategy's signal is the
volume column (`test_risk_settings.TEMPLATE`), so a positive volume is a long signal, and the same
volume is the bar's liquidity. The expected fills are worked out by hand from the definition; each
case runs in both engines (`run_both`).
"""

from __future__ import annotations

import math

import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.runtime.manager import prepare, run_prepared

from .test_exits import errors, fills
from .test_fill_realism import run_both
from .test_orders import records
from .test_risk_settings import flow


def capped(risk: str, cap: str, fill: str = "next_open") -> str:
    return flow(risk, fill).replace(f"fill = {fill}() }}", f"fill = {fill}(); {cap} }}")


RISING = [(100, 101, 99, 100, 1), (101, 102, 100, 101, 8), (102, 103, 101, 102, 6), (103, 104, 102, 103, 20)]


def test_kept_rest_stays_pending_and_fills_over_later_bars(tmp_path):
    # +10 sent at bar 0; 50 % of 8 is 4 at bar 1's open, of 6 is 3 at bar 2's, the last 3 at bar 3's
    ledger = run_both(tmp_path, capped("size = fixed(10)", "max_participation = 50"), RISING)
    assert fills(ledger) == [(1, 4.0, 101.0), (2, 3.0, 102.0), (3, 3.0, 103.0)]
    assert [r[3] for r in records(ledger)] == [0]  # one order sent, nothing dropped


def test_dropped_rest_is_recorded_capped_at_the_base_price(tmp_path):
    ledger = run_both(tmp_path, capped("size = fixed(10)", "max_participation = 50; rest = drop"), RISING)
    assert fills(ledger) == [(1, 4.0, 101.0)]
    assert records(ledger)[1:] == [(1, 6.0, 101.0, 4)]  # after the order sent at bar 0


def test_at_the_close_the_rest_fills_at_later_closes(tmp_path):
    rows = [(100, 101, 99, 100, 8), (101, 102, 100, 101, 6), (102, 103, 101, 102, 20)]
    ledger = run_both(tmp_path, capped("size = fixed(10)", "max_participation = 50", "close"), rows)
    assert fills(ledger) == [(0, 4.0, 100.0), (1, 3.0, 101.0), (2, 3.0, 102.0)]


def test_no_volume_lets_nothing_fill(tmp_path):
    # bar 1's volume is 0 (the signal turns flat too: the pending +10 and the -10 net to nothing)
    rows = [(100, 101, 99, 100, 1), (101, 102, 100, 101, 0.5), (102, 103, 101, 102, 0)]
    ledger = run_both(tmp_path, capped("size = fixed(10)", "max_participation = 100"), rows)
    assert fills(ledger) == []  # floor(0.5) = 0 units at bar 1; the order nets away at bar 2


def test_a_working_order_fills_in_parts_and_ages_each_bar(tmp_path):
    risk = "size = fixed(10); entry = limit(c - 1)"
    rows = [(100, 101, 99, 100, 1), (100, 100, 98, 99, 8), (98, 99, 97, 98, 4), (99, 100, 98.5, 99, 100)]
    ledger = run_both(tmp_path, capped(risk, "max_participation = 50"), rows)
    assert fills(ledger) == [(1, 4.0, 99.0), (2, 2.0, 98.0), (3, 4.0, 99.0)]  # at the level, the open, the level
    ledger = run_both(tmp_path, capped(risk.replace("c - 1", "c - 1, bars = 2"), "max_participation = 50"), rows)
    assert fills(ledger) == [(1, 4.0, 99.0), (2, 2.0, 98.0)]
    assert [r for r in records(ledger) if r[3] == 2] == [(2, 4.0, 99.0, 2)]  # two bars checked: the 4 left expire


def test_the_room_is_shared_in_fill_order(tmp_path):
    # a stop at 95 reached on bar 2 (an exit order of -10 at 95) after the rest of the entry filled
    # at its open: the room of floor(0.5 * 12) = 6 goes to the pending 4 first, then 2 of the exit
    risk = "size = fixed(10); stop_loss = distance(5)"
    rows = [(100, 101, 99, 100, 1), (100, 101, 99, 100, 12), (100, 100, 94, 96, 12), (96, 97, 95, 96, 40)]
    ledger = run_both(tmp_path, capped(risk, "max_participation = 50"), rows)
    assert fills(ledger)[:3] == [(1, 6.0, 100.0), (2, 4.0, 100.0), (2, -2.0, 95.0)]
    assert fills(ledger)[3] == (3, -8.0, 96.0)  # the rest of the exit, a market order, at the next open


def test_participation_settings_are_checked():
    assert errors(capped("size = fixed(10)", "max_participation = 0"))[0][0] == "FL509"
    assert errors(capped("size = fixed(10)", "max_participation = 10; rest = later"))[0][0] == "FL509"
    assert errors(capped("size = fixed(10)", "rest = drop"))[0][0] == "FL508"
    assert errors(capped("size = fixed(10)", "entry_spread = bps(-1)"))[0][0] == "FL509"


@pytest.mark.parametrize(("setting", "value"), [("max_participation = m", 0.0), ("entry_spread = bps(m)", -1.0)])
def test_a_param_out_of_range_is_refused_when_the_run_starts(tmp_path, setting, value):
    path = tmp_path / "case.flow"
    path.write_text("param m: float = 5\n" + capped("size = fixed(10)", setting))
    prepared = prepare(path)
    with pytest.raises(FlowError) as caught:
        run_prepared(prepared, {"m": value}, engine="reference")
    assert caught.value.diagnostics[0].code == "FL509" and "the param `m`" in caught.value.diagnostics[0].message


# ---- the entry spread -------------------------------------------------------------------------------

def spread(price: float, q: float, held: float, bps: float) -> float:
    """The semantics' steps: the opening part of `q` against `held` pays `bps`, in proportion."""
    closing = min(abs(q), abs(held)) if q * held < 0 else 0.0
    opening = abs(q) - closing
    if opening <= 0:
        return price
    return price + math.copysign(1.0, q) * (((bps / 10000.0) * price) * (opening / abs(q)))


@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_the_spread_is_paid_on_what_opens_and_in_proportion_on_a_reversal(tmp_path, fill):
    rows = [(100, 101, 99, 100, 1), (101, 102, 100, 101, -1), (102, 103, 101, 102, 0), (103, 104, 102, 103, 0)]
    risk = "size = fixed(10); long_only = false"
    ledger = run_both(tmp_path, capped(risk, "entry_spread = bps(20)", fill), rows)
    at = 1 if fill == "next_open" else 0  # where the decision of bar 0 fills
    base = [r[0] if fill == "next_open" else r[3] for r in rows[at:]]
    assert fills(ledger) == [
        (at, 10.0, spread(base[0], 10.0, 0.0, 20)),  # opens: the whole spread
        (at + 1, -20.0, spread(base[1], -20.0, 10.0, 20)),  # closes 10, opens 10 short: half of it
        (at + 2, 10.0, base[2]),  # closes the short: none
    ]


def test_many_dropped_rests_grow_the_order_table(tmp_path):
    """A capped record at every step: the compiled program makes room for one per fill slot of a dropping
    execution (`program._make_room`), else it would write past its order table."""
    rows = [(100, 101, 99, 100, 1)] * 3000  # a volume of 1: 50 % of it is no whole unit, nothing fills
    risk = "size = fixed(10); book = position; rebalance = true"  # the same order again at every step
    ledger = run_both(tmp_path, capped(risk, "max_participation = 50; rest = drop"), rows)
    assert fills(ledger) == []
    assert sum(r[3] == 4 for r in records(ledger)) == 2999  # every order but the last is dropped at the next open
