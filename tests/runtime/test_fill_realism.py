"""Fill realism: slippage by the volume known at the fill (docs/semantics.md, 7).

Hand cases on bars written as `(open, high, low, close, volume)`: the strategy's signal is the volume
column (`test_risk_settings.TEMPLATE`), clipped to 1, so any positive volume is a long signal. Each
case runs in both engines.
"""

from __future__ import annotations

import pytest

from flowc.compiler.lint import lint
from flowc.compiler.workflow import analyse
from flowc.dsl.loader import load_text
from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.reference import run_reference

from .test_exits import bars, errors, fills
from .test_risk_settings import flow


def impact_flow(fill: str, slippage: str = "volume_impact(0.5)", risk: str = "size = fixed(10)") -> str:
    return flow(risk, fill).replace(f"fill = {fill}() }}", f"fill = {fill}(); slippage = {slippage} }}")


def run_both(tmp_path, text: str, rows):
    """The reference ledger of the case, after checking the compiled engine gives the same."""
    path = tmp_path / "case.flow"
    path.write_text(text)
    prepared = prepare(path)
    prepared.market = bars(*rows)
    reference = run_reference(prepared.analysis, prepared.market, list(prepared.params()))
    assert run_prepared(prepared, engine="compiled").same_as(reference)
    return reference


def moved(price: float, q: float, k: float, volume: float) -> float:
    """The semantics' steps: `P + sign(q) * ((k * (abs(q) / v)) * P)`."""
    return price + (1.0 if q > 0 else -1.0) * ((k * (abs(q) / volume)) * price)


def test_a_fill_at_the_open_reads_the_volume_of_the_bar_before(tmp_path):
    rows = [(100, 101, 99, 100, 1000), (102, 103, 101, 102, 4000)]
    assert fills(run_both(tmp_path, impact_flow("next_open"), rows)) == [(1, 10.0, moved(102.0, 10.0, 0.5, 1000.0))]


def test_a_fill_at_the_close_reads_its_own_bar(tmp_path):
    rows = [(100, 101, 99, 100, 1000), (102, 103, 101, 102, 4000)]
    assert fills(run_both(tmp_path, impact_flow("close"), rows)) == [(0, 10.0, moved(100.0, 10.0, 0.5, 1000.0))]


def test_a_sale_is_moved_down_and_no_volume_known_moves_nothing(tmp_path):
    rows = [(100, 101, 99, 100, 1000), (102, 103, 101, 102, -2000), (101, 102, 100, 101, 0.0),
            (100, 101, 99, 100, -1)]
    ledger = run_both(tmp_path, impact_flow("next_open", risk="size = fixed(10); long_only = false"), rows)
    # bar 1 fills +10 on bar 0's 1000; bar 2 reverses (-20) on bar 1's volume, which is negative: no
    # volume known, no impact; bar 3 fills +10 (flat again) on bar 2's volume of 0: no impact either
    assert fills(ledger) == [(1, 10.0, moved(102.0, 10.0, 0.5, 1000.0)), (2, -20.0, 101.0), (3, 10.0, 100.0)]


def test_a_negative_impact_is_an_error():
    assert ("FL509" in {code for code, _ in errors(impact_flow("close", "volume_impact(-1)"))})


@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_working_orders_and_exits_read_the_bar_before(tmp_path, fill):
    risk = "size = fixed(10); long_only = false; entry = limit(c - 1); stop_loss = distance(5)"
    rows = [(100, 101, 99, 100, 1000), (100, 100, 98, 99, 500), (97, 97, 93, 94, 800), (94, 95, 93, 94, 800)]
    ledger = run_both(tmp_path, impact_flow(fill, risk=risk), rows)
    assert fills(ledger) == [(1, 10.0, moved(99.0, 10.0, 0.5, 1000.0)),  # the limit at 99 within bar 1
                             (2, -10.0, moved(95.0, -10.0, 0.5, 500.0))]  # the stop at 100 - 5 within bar 2


# ---- market-on-open orders ------------------------------------------------------------------------

def test_market_on_open_fills_at_the_next_open_in_close_mode(tmp_path):
    rows = [(100, 101, 99, 100, 1), (102, 103, 101, 102, 1), (103, 104, 102, 103, 0), (101, 102, 100, 101, 0)]
    text = flow("size = fixed(10); entry = market_on_open()", "close")
    ledger = run_both(tmp_path, text, rows)
    assert fills(ledger) == [(1, 10.0, 102.0), (3, -10.0, 101.0)]  # decided at bars 0 and 2, filled at the next opens


def test_market_on_open_exits_still_fill_at_their_price(tmp_path):
    rows = [(100, 101, 99, 100, 1), (102, 103, 101, 102, 1), (101, 101, 96, 97, 1)]
    text = flow("size = fixed(10); entry = market_on_open(); stop_loss = distance(3)", "close")
    assert fills(run_both(tmp_path, text, rows)) == [(1, 10.0, 102.0), (2, -10.0, 97.0)]  # the stop at 100 - 3


def test_market_on_open_is_not_a_same_bar_fill():
    def codes(risk: str) -> set[str]:
        analysis = analyse(load_text(flow(risk, "close"), "t.flow"))
        return {d.code for d in (*analysis.diagnostics, *lint(analysis))}

    assert "FL406" in codes("size = fixed(10); stop_loss = distance(c)")  # decided on the close, filled at it
    assert "FL406" not in codes("size = fixed(10); entry = market_on_open(); stop_loss = distance(c)")


def test_market_on_close_decided_on_the_close_is_a_same_bar_fill_pointed_at_entry():
    """Issue 16 item 6: `entry = market_on_close()` fills at the close whatever the fill mode, so a
    decision that read that close is warned in `next_open` mode too, at the `entry` setting."""
    def found(risk: str, features: str = "hl = high - low; c = close") -> list:
        text = flow(risk, "next_open").replace("hl = high - low; c = close", features)
        analysis = analyse(load_text(text, "t.flow"))
        return [(d, text) for d in lint(analysis) if d.code == "FL406"]

    ((d, text),) = found("size = fixed(10); entry = market_on_close(); stop_loss = distance(c)")
    assert text[d.span.start:d.span.end].startswith("entry")
    assert "`risk`" in d.message and "high `features.hl`" in d.message and "market_on_open" in d.hint
    assert not found("size = fixed(10); entry = market_on_close()", "hl = open; c = open")  # known at the open


# ---- closing the position at the end of the data --------------------------------------------------

@pytest.mark.parametrize(("fill", "expected"), [
    ("next_open", [(1, 10.0, 101.0), (2, -10.0, 102.5)]),  # bought at bar 1's open, sold at the last close
    ("close", [(0, 10.0, 100.0), (2, -10.0, 102.5)]),
])
def test_close_at_end_sells_at_the_last_close(tmp_path, fill, expected):
    rows = [(100, 101, 99, 100, 1), (101, 102, 100, 101, 1), (102, 103, 101, 102.5, 1)]
    ledger = run_both(tmp_path, flow("size = fixed(10); close_at_end = true", fill), rows)
    assert fills(ledger) == expected
    assert len(ledger.unfilled) == 0


def test_close_at_end_takes_an_entry_filled_at_the_last_open(tmp_path):
    rows = [(100, 101, 99, 100, 0), (101, 102, 100, 101, 1), (102, 103, 101, 102.5, 1)]
    ledger = run_both(tmp_path, flow("size = fixed(10); close_at_end = true", "next_open"), rows)
    assert fills(ledger) == [(2, 10.0, 102.0), (2, -10.0, 102.5)]


def test_close_at_end_false_keeps_the_position(tmp_path):
    rows = [(100, 101, 99, 100, 1), (101, 102, 100, 101, 1), (102, 103, 101, 102.5, 1)]
    ledger = run_both(tmp_path, flow("size = fixed(10); close_at_end = false", "close"), rows)
    assert fills(ledger) == [(0, 10.0, 100.0)]


def test_close_at_end_cancels_a_working_entry(tmp_path):
    rows = [(100, 101, 99, 100, 1), (100, 101, 99.5, 100, 1), (100, 101, 99.5, 100, 1)]
    text = flow("size = fixed(10); entry = limit(c - 1); close_at_end = true", "next_open")
    ledger = run_both(tmp_path, text, rows)
    assert fills(ledger) == [] and len(ledger.unfilled) == 0
    assert [int(o["status"]) for o in ledger.orders] == [0, 0, 1]  # sent, the close-out sent, the limit cancelled


def test_close_at_end_sells_an_entry_filled_within_the_last_bar_at_its_close(tmp_path):
    rows = [(100, 101, 99, 100, 1), (100, 101, 99.5, 100, 1), (100, 101, 98, 100.5, 1)]
    text = flow("size = fixed(10); entry = limit(c - 1); close_at_end = true", "next_open")
    assert fills(run_both(tmp_path, text, rows)) == [(2, 10.0, 99.0), (2, -10.0, 100.5)]
