"""Round trips from fills: every rule of the spec's "a trade", on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowc.runtime.trades import OPEN_TRADE_DTYPE, TRADE_DTYPE, build_trades


def trades_of(fills, n_symbols=1):
    """fills: (step, symbol, quantity, price, commission) tuples, in fill order."""
    columns = list(zip(*fills, strict=True)) if fills else [[]] * 5
    return build_trades(*(np.array(c) for c in columns), n_symbols=n_symbols)


def test_dtypes_are_aligned_records():
    expected = ["symbol", "direction", "entry_step", "exit_step", "quantity", "entry_price",
                "exit_price", "pnl", "commission", "return"]
    assert list(TRADE_DTYPE.names) == expected
    assert list(OPEN_TRADE_DTYPE.names) == [*expected, "position"]
    assert TRADE_DTYPE.isalignedstruct and OPEN_TRADE_DTYPE.isalignedstruct


def test_long_round_trip():
    closed, still_open = trades_of([(3, 0, 10.0, 100.0, 1.0), (7, 0, -10.0, 110.0, 1.1)])
    assert len(closed) == 1 and len(still_open) == 0
    t = closed[0]
    assert (t["symbol"], t["direction"], t["entry_step"], t["exit_step"]) == (0, 1, 3, 7)
    assert (t["quantity"], t["entry_price"], t["exit_price"]) == (10.0, 100.0, 110.0)
    assert t["pnl"] == (-10.0 * 100.0 - 1.0) + (10.0 * 110.0 - 1.1)  # per fill, in order: 97.9
    assert t["commission"] == pytest.approx(2.1)
    assert t["return"] == pytest.approx(97.9 / 1000.0)


def test_short_round_trip():
    closed, _ = trades_of([(0, 0, -5.0, 20.0, 0.0), (1, 0, 5.0, 16.0, 0.0)])
    assert closed[0]["direction"] == -1
    assert closed[0]["pnl"] == 20.0  # sold 5 at 20, bought back at 16
    assert closed[0]["return"] == 20.0 / 100.0


def test_adding_and_partial_closes_stay_in_one_trade():
    closed, still_open = trades_of([
        (0, 0, 4.0, 100.0, 0.4),   # open
        (1, 0, 6.0, 105.0, 0.6),   # add: position 10
        (2, 0, -3.0, 110.0, 0.3),  # reduce: 7
        (3, 0, -7.0, 102.0, 0.7),  # close
    ])
    assert len(closed) == 1 and len(still_open) == 0
    t = closed[0]
    assert (t["entry_step"], t["exit_step"], t["quantity"]) == (0, 3, 10.0)
    assert t["entry_price"] == pytest.approx((4 * 100 + 6 * 105) / 10)  # 103
    assert t["exit_price"] == pytest.approx((3 * 110 + 7 * 102) / 10)  # 104.4
    assert t["pnl"] == pytest.approx(-400 - 630 + 330 + 714 - 2.0)  # 12
    assert t["commission"] == pytest.approx(2.0)
    assert t["return"] == pytest.approx(12.0 / 1030.0)


def test_reversal_splits_the_fill_and_shares_its_commission_pro_rata():
    closed, still_open = trades_of([
        (0, 0, 2.0, 10.0, 1.0),
        (1, 0, 1.0, 13.0, 1.0),   # position 3
        (2, 0, -1.0, 12.0, 1.0),  # position 2
        (3, 0, -4.0, 11.0, 4.0),  # reversal: closes 2 (commission 4 * 2/4 = 2), opens -2 (commission 2)
        (4, 0, 2.0, 9.0, 1.0),    # covers the short
    ])
    assert len(closed) == 2 and len(still_open) == 0
    first, second = closed
    assert (first["direction"], first["entry_step"], first["exit_step"]) == (1, 0, 3)
    assert first["quantity"] == 3.0
    assert first["entry_price"] == 11.0  # (2 * 10 + 13) / 3
    assert first["exit_price"] == pytest.approx((12 + 2 * 11) / 3)
    assert first["commission"] == 5.0  # 1 + 1 + 1 + 2
    assert first["pnl"] == ((((-20.0 - 1) + (-13.0 - 1)) + (12.0 - 1)) + (22.0 - 2.0))  # -4
    assert first["return"] == pytest.approx(-4.0 / 33.0)
    assert (second["direction"], second["entry_step"], second["exit_step"]) == (-1, 3, 4)
    assert (second["quantity"], second["entry_price"], second["exit_price"]) == (2.0, 11.0, 9.0)
    assert second["commission"] == 3.0  # 2 (its share of the reversal) + 1
    assert second["pnl"] == (22.0 - 2.0) + (-18.0 - 1.0)  # 1


def test_reversal_commission_share_uses_the_spec_formula():
    closed, still_open = trades_of([(0, 0, 3.0, 10.0, 0.0), (1, 0, -10.0, 10.0, 0.7)])
    assert closed[0]["commission"] == 0.7 * 3.0 / 10.0
    assert still_open[0]["commission"] == 0.7 - 0.7 * 3.0 / 10.0


def test_returning_flat_then_opening_again_makes_two_trades():
    closed, _ = trades_of([(0, 0, 1.0, 10.0, 0.0), (1, 0, -1.0, 11.0, 0.0),
                           (1, 0, -1.0, 11.0, 0.0), (2, 0, 1.0, 12.0, 0.0)])
    assert list(closed["direction"]) == [1, -1]
    assert list(closed["pnl"]) == [1.0, -1.0]
    assert list(closed["entry_step"]) == [0, 1]


def test_open_trade_at_the_end_reports_realised_pnl_and_position():
    closed, still_open = trades_of([
        (0, 0, 5.0, 10.0, 0.5),
        (1, 0, -2.0, 12.0, 0.2),  # partial close: realises 2 * (12 - 10) = 4
    ])
    assert len(closed) == 0 and len(still_open) == 1
    t = still_open[0]
    assert (t["symbol"], t["direction"], t["entry_step"], t["exit_step"]) == (0, 1, 0, -1)
    assert (t["quantity"], t["entry_price"], t["position"]) == (5.0, 10.0, 3.0)
    assert math.isnan(t["exit_price"]) and math.isnan(t["return"])
    assert t["commission"] == pytest.approx(0.7)
    assert t["pnl"] == pytest.approx(4.0 - 0.7)


def test_open_trade_without_closes_has_realised_only_its_commission():
    _, still_open = trades_of([(0, 0, -4.0, 10.0, 0.25)])
    assert still_open[0]["pnl"] == -0.25
    assert still_open[0]["position"] == -4.0 and still_open[0]["direction"] == -1


def test_several_symbols_interleaved():
    closed, still_open = trades_of([
        (0, 0, 1.0, 10.0, 0.0),
        (1, 1, -2.0, 50.0, 0.0),
        (2, 0, -1.0, 12.0, 0.0),  # symbol 0 flat: +2
        (2, 2, 7.0, 1.0, 0.0),    # symbol 2 opens and stays open
        (3, 1, 2.0, 45.0, 0.0),   # symbol 1 flat: +10
        (4, 0, 3.0, 11.0, 0.0),   # symbol 0 opens again
    ], n_symbols=3)
    assert list(closed["symbol"]) == [0, 1]  # ordered by the fill that opened them
    assert list(closed["pnl"]) == [2.0, 10.0]
    assert list(closed["exit_step"]) == [2, 3]
    assert list(still_open["symbol"]) == [2, 0]
    assert list(still_open["position"]) == [7.0, 3.0]
    assert list(still_open["entry_step"]) == [2, 4]


def test_no_fills():
    closed, still_open = trades_of([])
    assert closed.dtype == TRADE_DTYPE and len(closed) == 0
    assert still_open.dtype == OPEN_TRADE_DTYPE and len(still_open) == 0


def test_bad_fills_are_rejected():
    with pytest.raises(ValueError, match="quantity 0"):
        trades_of([(0, 0, 0.0, 10.0, 0.0)])
    with pytest.raises(ValueError, match="symbol index"):
        trades_of([(0, 1, 1.0, 10.0, 0.0)], n_symbols=1)


# --- properties over random fill sequences ---------------------------------------------------

fill = st.tuples(
    st.integers(0, 2),                                               # symbol
    st.integers(-6, 6).filter(bool).map(float),                      # whole units, never 0
    st.floats(1.0, 500.0, allow_nan=False, allow_infinity=False),    # price
    st.floats(0.0, 5.0, allow_nan=False, allow_infinity=False),      # commission
)
final_prices = st.lists(st.floats(1.0, 500.0, allow_nan=False), min_size=3, max_size=3)


def as_fills(drawn):
    return [(i, s, q, p, c) for i, (s, q, p, c) in enumerate(drawn)]


@settings(max_examples=300, deadline=None)
@given(st.lists(fill, max_size=40), final_prices)
def test_trade_pnl_adds_up_to_the_change_in_equity(drawn, last_price):
    fills = as_fills(drawn)
    closed, still_open = trades_of(fills, n_symbols=3)

    # Final equity minus starting cash, by the spec's portfolio accounting.
    cash, position = 0.0, [0.0, 0.0, 0.0]
    for _, s, q, p, c in fills:
        cash -= q * p + c
        position[s] += q
    change_in_equity = cash + sum(position[s] * last_price[s] for s in range(3))

    mark_to_market = sum(t["position"] * (last_price[t["symbol"]] - t["entry_price"]) for t in still_open)
    total = closed["pnl"].sum() + still_open["pnl"].sum() + mark_to_market
    scale = 1.0 + sum(abs(q * p) + c for _, _, q, p, c in fills)
    assert total == pytest.approx(change_in_equity, abs=1e-9 * scale)
    assert list(still_open["position"]) == [position[s] for s in still_open["symbol"]]
    assert sorted(still_open["symbol"]) == [s for s in range(3) if position[s] != 0.0]


@settings(max_examples=300, deadline=None)
@given(st.lists(fill, max_size=40))
def test_closed_pnl_is_the_in_order_sum_of_its_fills(drawn):
    """A plain loop over fills, one symbol at a time, agrees exactly on every closed trade's P&L."""
    fills = as_fills(drawn)
    closed, _ = trades_of(fills, n_symbols=3)
    expected = []  # (entry fill index, pnl) of each closed trade
    for symbol in range(3):
        position, pnl, entry = 0.0, 0.0, None
        for i, s, q, p, c in fills:
            if s != symbol:
                continue
            if entry is None:
                entry = i
            after = position + q
            if position * after < 0:  # reversal: split
                share = c * abs(position) / abs(q)
                expected.append((entry, pnl + (position * p - share)))
                pnl, entry = (-after * p - (c - share)), i
            else:
                pnl += -q * p - c
                if after == 0.0:
                    expected.append((entry, pnl))
                    pnl, entry = 0.0, None
            position = after
    expected.sort()
    assert list(closed["pnl"]) == [pnl for _, pnl in expected]
