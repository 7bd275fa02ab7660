"""The money kernels (`runtime/kernels/money.py`), one by one, against the arithmetic of docs/semantics.md.

Each expected value is written here in plain Python from the semantics, in their evaluation order;
the compiled kernel must give the same float to the bit (NaN included) on awkward values: zeros
of both signs, NaN, infinities, fractions that round.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowc.runtime.kernels import money

NAN, INF = math.nan, math.inf
VALUES = (0.0, -0.0, 1.0, -1.0, 0.1, -0.3, 2.5, 7.0, -13.75, 1e-9, 123456.789, NAN, INF, -INF)
floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


def same(a: float, b: float) -> bool:
    return np.float64(a).tobytes() == np.float64(b).tobytes() or (math.isnan(a) and math.isnan(b))


def sign(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


def pairs():
    return itertools.product(VALUES, VALUES)


def test_combine_rules():
    for total in VALUES:
        assert same(money.combine_sum_nb(total), min(max(total, -1.0), 1.0))
        for n in (1, 2, 3):
            assert same(money.combine_mean_nb(total, n), sign(total / n))
    assert money.combine_unanimous_nb(-1.0, True) == -1.0 and money.combine_unanimous_nb(-1.0, False) == 0.0


def test_long_only_makes_a_short_direction_flat_only_when_set():
    for d, flag in pairs():
        assert same(money.long_only_nb(d, flag), 0.0 if flag != 0.0 and d < 0.0 else d)


def test_resize_when_no_direction_is_remembered_a_new_one_or_rebalancing():
    for remembered, d in pairs():
        for rebalance in (0.0, 1.0, NAN, -2.0):
            expected = math.isnan(remembered) or d != remembered or (rebalance == rebalance and rebalance != 0.0)
            assert money.resize_nb(remembered, d, rebalance) == expected


@settings(deadline=None)
@given(floats, floats, floats, floats, floats, st.sampled_from((0.0, 1.0)))
def test_sizing(q, equity, price, distance, d, fractional):
    def whole(units):
        return units if fractional else np.floor(units)

    assert same(money.size_fixed_nb(q, d), q * d)
    with np.errstate(all="ignore"):
        percent = d * whole(((q / 100.0) * equity) / np.float64(price))
        units = d * whole(np.float64(q))
        weight = d * whole((q * equity) / np.float64(price))
        risk = d * whole(((q / 100.0) * equity) / np.float64(distance))
    assert same(money.size_percent_equity_nb(q, equity, price, d, fractional), percent)
    assert same(money.size_units_nb(q, d, fractional), units)
    assert same(money.size_weight_nb(q, equity, price, d, fractional), weight)
    assert same(money.size_risk_percent_nb(q, equity, distance, d, fractional), risk)


def test_sizing_by_hand():
    assert money.size_percent_equity_nb(20.0, 100_000.0, 33.0, 1.0, 0.0) == 606.0
    assert money.size_percent_equity_nb(20.0, 100_000.0, 33.0, -1.0, 0.0) == -606.0
    assert money.size_percent_equity_nb(20.0, 100_000.0, 32.0, 1.0, 1.0) == 625.0
    assert math.isnan(money.size_percent_equity_nb(20.0, NAN, 33.0, 1.0, 0.0))  # no equity received yet
    assert math.isnan(money.size_percent_equity_nb(20.0, 1000.0, NAN, 1.0, 0.0))  # no bar
    assert money.size_weight_nb(0.5, 10_000.0, 33.0, 1.0, 0.0) == 151.0
    assert money.size_risk_percent_nb(1.0, 1_000_000.0, 7.0, -1.0, 0.0) == -1428.0  # 10,000 at risk over 7.0
    assert money.size_units_nb(2.75, 1.0, 0.0) == 2.0 and money.size_units_nb(2.75, -1.0, 1.0) == -2.75
    assert money.offset_below_nb(100.0, 2.5) == 97.5 and money.offset_above_nb(100.0, 2.5) == 102.5


def test_limits():
    for target, m in pairs():
        assert same(money.max_position_nb(target, m), min(max(target, -m), m))
    for target, book in pairs():
        for dd, md in ((0.25, 20.0), (0.1, 20.0), (NAN, 20.0), (0.2, 20.0)):
            limited = dd >= md / 100.0
            expected = sign(book) * min(abs(book), max(0.0, sign(book) * target)) if limited else target
            assert same(money.max_drawdown_nb(target, book, dd, md), expected)


def test_a_drawdown_limit_only_moves_the_book_towards_flat():
    assert money.max_drawdown_nb(20.0, 10.0, 0.3, 20.0) == 10.0  # no adding
    assert money.max_drawdown_nb(4.0, 10.0, 0.3, 20.0) == 4.0  # reducing is fine
    assert money.max_drawdown_nb(-10.0, 10.0, 0.3, 20.0) == 0.0  # no reversal
    assert money.max_drawdown_nb(-10.0, 0.0, 0.3, 20.0) == 0.0  # no opening


def test_a_new_position_is_one_from_flat_or_a_reversal():
    assert money.opens_nb(0.0, 5.0) and money.opens_nb(-3.0, 5.0) and money.opens_nb(3.0, -5.0)
    assert not money.opens_nb(3.0, 5.0) and not money.opens_nb(5.0, 0.0) and not money.opens_nb(-5.0, -2.0)


def test_exit_levels():
    for price, pct in pairs():
        assert same(money.level_below_nb(price, pct), price * (1.0 - pct / 100.0))
        assert same(money.level_above_nb(price, pct), price * (1.0 + pct / 100.0))
    for stop, trail in pairs():
        assert same(money.trail_long_nb(stop, trail), trail if trail > stop else stop)
        assert same(money.trail_short_nb(stop, trail), trail if trail < stop else stop)


def exit_long(o, h, lo, stop, goal):
    """Section 6a, step 2: the first rule that holds."""
    for holds, px in ((o <= stop, o), (o >= goal, o), (lo <= stop, stop), (h >= goal, goal)):
        if holds:
            return px
    return NAN


def exit_short(o, h, lo, stop, goal):
    """Section 6a, step 3: the mirror image."""
    for holds, px in ((o >= stop, o), (o <= goal, o), (h >= stop, stop), (lo <= goal, goal)):
        if holds:
            return px
    return NAN


@pytest.mark.parametrize("bar", [(100.0, 104.0, 97.0), (94.0, 96.0, 90.0), (111.0, 112.0, 108.0),
                                 (100.0, 111.0, 99.0), (100.0, 111.0, 94.0), (NAN, NAN, NAN)])
@pytest.mark.parametrize("levels", [(95.0, 110.0), (-INF, INF), (95.0, INF), (-INF, 110.0), (NAN, NAN)])
def test_exit_prices(bar, levels):
    o, h, lo = bar
    assert same(money.exit_long_nb(o, h, lo, *levels), exit_long(o, h, lo, *levels))
    mirrored = (levels[1], levels[0])
    assert same(money.exit_short_nb(o, h, lo, *mirrored), exit_short(o, h, lo, *mirrored))


def test_the_stop_wins_when_a_bar_reaches_both_levels():
    assert money.exit_long_nb(100.0, 111.0, 94.0, 95.0, 110.0) == 95.0
    assert money.exit_short_nb(100.0, 106.0, 89.0, 105.0, 90.0) == 105.0


@settings(deadline=None)
@given(floats, floats, floats)
def test_slippage_and_commissions(price, q, rate):
    with np.errstate(all="ignore"):
        assert same(money.slipped_nb(price, q, rate), price + sign(q) * ((rate / 10000.0) * price))
        assert same(money.commission_percent_nb(rate, q, price), rate / 100.0 * abs(q) * price)
        assert same(money.commission_per_share_nb(rate, q), rate * abs(q))
    assert same(money.commission_fixed_nb(rate), rate)


@settings(deadline=None)
@given(floats, floats, floats, floats)
def test_volume_impact(price, q, k, volume):
    expected = price + sign(q) * ((k * (abs(q) / volume)) * price) if volume > 0.0 else price
    with np.errstate(all="ignore"):
        assert same(money.volume_impact_nb(price, q, k, volume), expected)


@settings(deadline=None)
@given(floats, floats, floats, floats, floats)
def test_a_fill_moves_the_position_and_the_cash_in_one_subtraction(position, cash, q, px, fee):
    new_position, new_cash = money.apply_fill_nb(position, cash, q, px, fee)
    with np.errstate(all="ignore"):
        assert same(new_position, position + q)
        assert same(new_cash, cash - (q * px + fee))


def _div(a: float, b: float) -> float:
    """IEEE division, as the kernels' numpy error model gives it."""
    with np.errstate(all="ignore"):
        return float(np.float64(a) / np.float64(b))


@settings(deadline=None)
@given(floats, floats, floats, floats, floats, floats)
def test_the_units_the_cash_pays_for(cash, price, rate, per_share, fixed, minimum):
    with np.errstate(all="ignore"):
        n = float(np.floor(_div(cash - fixed, price * (1.0 + rate) + per_share)))
        if not math.isnan(minimum):
            m = float(np.floor(_div(cash - minimum, price)))
            n = m if m < n else n
        assert same(money.affordable_nb(cash, price, rate, per_share, fixed, minimum), n)


def test_the_units_the_cash_pays_for_by_hand():
    # percent(0.1) alone: floor(cash / (P * 1.001)), the rule
    assert money.affordable_nb(10_000.0, 99.0, 0.1 / 100.0, 0.0, 0.0, NAN) == math.floor(10_000.0 / (99.0 * 1.001))
    # fixed(5) + per_share(0.01): (10000 - 5) / 100.01 = 99.94
    assert money.affordable_nb(10_000.0, 100.0, 0.0, 0.01, 5.0, NAN) == 99.0
    # a minimum commission of 50 leaves 9950 for the units themselves
    assert money.affordable_nb(10_000.0, 100.0, 0.0, 0.0, 0.0, 50.0) == 99.0
    assert money.affordable_nb(-1.0, 100.0, 0.0, 0.0, 0.0, NAN) == -1.0  # nothing: the buy does not fill


def test_a_buy_is_filled_cut_or_rejected():
    assert money.bought_nb(10.0, 12.0, False) == 10.0
    assert money.bought_nb(10.0, 10.0, True) == 10.0
    assert money.bought_nb(10.0, 7.0, False) == 7.0
    assert money.bought_nb(10.0, 7.0, True) == 0.0
    assert math.isnan(money.bought_nb(10.0, NAN, False))  # undefined: nothing fills (not > 0)
    assert money.bought_nb(10.0, INF, False) == 10.0


@settings(deadline=None)
@given(floats, floats)
def test_a_held_value_is_the_absolute_position_times_the_price(position, price):
    with np.errstate(all="ignore"):
        expected = 0.0 if position == 0.0 else float(np.float64(abs(position)) * np.float64(price))
    assert same(money.held_value_nb(position, price), expected)


@settings(deadline=None)
@given(st.lists(floats, min_size=1, max_size=6), st.integers(0, 6))
def test_the_exposure_of_the_other_symbols_sums_in_symbol_order(values, skip):
    total = 0.0
    for s, v in enumerate(values):
        if s != skip:
            total = total + v
    assert same(money.exposure_nb(np.array(values), skip, len(values)), total)


def _leveraged(q, position, price, leverage, equity, others, reject):
    """The leverage rule written out (docs/semantics.md, section 8)."""
    with np.errstate(all="ignore"):
        room = _div(leverage * equity - others, price)
        if q > 0.0:
            a, least = float(np.floor(room - position)), (0.0 - position if position < 0.0 else 0.0)
        else:
            a, least = float(np.floor(room + position)), (position if position > 0.0 else 0.0)
    if not a >= least:
        a = least
    size = abs(q)
    if not size <= a:
        size = 0.0 if reject else a
    return size if q > 0.0 else 0.0 - size


@settings(deadline=None)
@given(floats, floats, floats, floats, floats, floats, st.booleans())
def test_an_order_under_the_leverage_limit(q, position, price, leverage, equity, others, reject):
    expected = _leveraged(q, position, price, leverage, equity, others, reject)
    assert same(money.leveraged_nb(q, position, price, leverage, equity, others, reject), expected)


def test_an_order_under_the_leverage_limit_by_hand():
    # 2x of 10,000 is 20,000; 5,000 held elsewhere leaves 15,000: 150 units at 100
    assert money.leveraged_nb(200.0, 0.0, 100.0, 2.0, 10_000.0, 5_000.0, False) == 150.0
    assert money.leveraged_nb(200.0, 0.0, 100.0, 2.0, 10_000.0, 5_000.0, True) == 0.0
    assert money.leveraged_nb(100.0, 0.0, 100.0, 2.0, 10_000.0, 5_000.0, True) == 100.0
    # holding 100 long, a buy may add 50 more; a sell may go to 150 short: 250 units
    assert money.leveraged_nb(80.0, 100.0, 100.0, 2.0, 10_000.0, 5_000.0, False) == 50.0
    assert money.leveraged_nb(-300.0, 100.0, 100.0, 2.0, 10_000.0, 5_000.0, False) == -250.0
    # over the limit already: a short is still covered to flat, no further
    assert money.leveraged_nb(500.0, -400.0, 100.0, 0.5, 10_000.0, 50_000.0, False) == 400.0
    assert money.leveraged_nb(-10.0, 0.0, 100.0, 0.5, 10_000.0, 50_000.0, False) == 0.0
    assert money.leveraged_nb(10.0, 0.0, 0.0, 2.0, 10_000.0, 0.0, False) == 10.0  # a price of 0 takes no room


@settings(deadline=None)
@given(floats, floats)
def test_interest_is_earned_on_the_cash_in_one_step(cash, rate):
    with np.errstate(all="ignore"):
        expected = float(np.float64(cash) + np.float64(cash) * np.float64(rate))
    assert same(money.interest_nb(cash, rate), expected)


@settings(deadline=None)
@given(floats, st.lists(st.tuples(floats, floats), min_size=1, max_size=5), floats)
def test_the_borrow_fee_is_paid_on_each_short_in_symbol_order(cash, held, rate):
    positions, closes = np.array([p for p, _ in held]), np.array([c for _, c in held])
    expected = cash
    with np.errstate(all="ignore"):
        for p, c in held:
            if p < 0.0:
                expected = float(np.float64(expected) - ((0.0 - np.float64(p)) * np.float64(c)) * np.float64(rate))
    assert same(money.borrow_fee_nb(cash, positions, closes, rate, len(held)), expected)


def test_carry_by_hand():
    assert money.interest_nb(10_000.0, 0.0001) == 10_001.0
    assert money.interest_nb(-10_000.0, 0.0001) == -10_001.0  # a negative cash pays
    # 100 short at 50 and 10 short at 20 at 1 % a bar: 50 + 2; the long is not charged
    assert money.borrow_fee_nb(1_000.0, np.array([-100.0, 5.0, -10.0]), np.array([50.0, 9.0, 20.0]), 0.01, 3) \
        == 948.0


@settings(deadline=None)
@given(floats, floats)
def test_years_are_the_seconds_elapsed_over_365_days(now, before):
    with np.errstate(all="ignore"):
        expected = 0.0 if math.isnan(before) else float((np.float64(now) - np.float64(before)) / 31536000.0)
    assert same(money.years_nb(now, before), expected)


def test_yearly_carry_by_hand():
    day, year = 86400.0, 31536000.0
    assert money.years_nb(1e9 + year, 1e9) == 1.0
    assert money.years_nb(1e9 + 3 * day, 1e9) == 3 * day / year  # friday to monday: three days
    assert money.years_nb(1e9, NAN) == 0.0  # the first run: nothing elapsed
    # 5 % a year on 10,000 for one day of 365: interest_nb(cash, 5 / 100.0 * years)
    assert money.interest_nb(10_000.0, 5.0 / 100.0 * money.years_nb(day, 0.0)) == 10_000.0 + 10_000.0 * (0.05 / 365)


@settings(deadline=None)
@given(floats, floats, floats, floats)
def test_a_tier_s_rate_applies_from_its_size(rate, q, size, tier):
    assert same(money.tier_rate_nb(rate, q, size, tier), tier if abs(q) >= size else rate)


def test_tiers_by_hand():
    def fee(q: float) -> float:  # per_share_tiers([0, 500, 5000], [0.005, 0.003, 0.002])
        rate = money.tier_rate_nb(money.tier_rate_nb(0.005, q, 500.0, 0.003), q, 5000.0, 0.002)
        return money.commission_per_share_nb(rate, q)

    assert fee(499.0) == 0.005 * 499.0 and fee(-500.0) == 0.003 * 500.0 and fee(6000.0) == 0.002 * 6000.0
    assert fee(0.5) == 0.005 * 0.5  # fractional units: the first tier


def test_mark_to_market_adds_held_positions_at_their_last_close_in_symbol_order():
    positions = np.array([10.0, 0.0, -3.0, 7.5])
    closes = np.array([101.25, NAN, 99.5, NAN])
    expected = 1000.0
    for p, c in zip(positions, closes, strict=True):
        if p != 0.0:
            expected = expected + p * c
    # NaN: a held symbol without a close
    assert same(money.mark_to_market_nb(1000.0, positions, closes, 4, np.empty(4)), expected)
    assert money.mark_to_market_nb(1000.0, positions, closes, 3, np.empty(4)) == 1000.0 + 10.0 * 101.25 + -3.0 * 99.5


@given(floats, st.lists(st.tuples(st.sampled_from([0.0, -0.0, 1.0, -2.5]) | floats, floats), max_size=6))
def test_mark_to_market_skips_flat_symbols_exactly(cash, held):
    """Adding a flat symbol's -0.0 is skipping it: the same bits, with NaN and infinite closes and -0.0 cash."""
    expected = cash
    for position, close in held:
        if position != 0.0:
            expected = expected + position * close
    positions, closes = np.array([p for p, _ in held]), np.array([c for _, c in held])
    with np.errstate(all="ignore"):
        got = money.mark_to_market_nb(cash, positions, closes, len(held), np.empty(len(held)))
    assert same(got, expected)


@given(floats, floats, floats)
def test_mark_to_market_of_one_symbol_is_the_arrays_with_one_element(cash, position, close):
    expected = money.mark_to_market_nb(cash, np.array([position]), np.array([close]), 1, np.empty(1))
    with np.errstate(all="ignore"):
        assert same(money.mark_to_market_one_nb(cash, position, close), expected)


def test_drawdown_from_the_peak():
    for equity, peak in pairs():
        new_peak = equity if equity > peak else peak
        with np.errstate(all="ignore"):
            expected = 1.0 - np.float64(equity) / new_peak
        got_peak, got = money.drawdown_nb(equity, peak)
        assert same(got_peak, new_peak) and same(got, expected)


# ---- futures contracts (section 8b) ----


def _f(x: float) -> np.float64:
    return np.float64(x)


@settings(deadline=None)
@given(floats, floats, floats, floats, floats, floats, floats, floats)
def test_a_futures_fill_settles_posts_margin_and_pays_commission(position, cash, q, px, fee, mark, mult, margin):
    with np.errstate(all="ignore"):
        expected = _f(cash)
        if position != 0.0:
            expected = expected + _f(position) * (_f(px) - _f(mark)) * _f(mult)
        after = _f(position) + _f(q)
        expected = expected - ((abs(after) - abs(_f(position))) * _f(margin) + _f(fee))
        got_position, got_cash = money.futures_fill_nb(position, cash, q, px, fee, mark, mult, margin)
    assert same(got_position, float(after)) and same(got_cash, float(expected))


def test_a_futures_fill_by_hand():
    # backtrader's check_futures: 100 bought at 10 (margin 10, 0.5 a contract): 1000 posted, 50 paid
    assert money.futures_fill_nb(0.0, 10_000.0, 100.0, 10.0, 50.0, NAN, 10.0, 10.0) == (100.0, 8_950.0)
    # sold at 5 from a mark of 10: settled 100 * (5 - 10) * 10, the 1000 released, 50 paid
    assert money.futures_fill_nb(100.0, 8_950.0, -100.0, 5.0, 50.0, 10.0, 10.0, 10.0) == (0.0, 4_900.0)
    # a reversal from long 2 to short 1: the margin of 1 contract released
    assert money.futures_fill_nb(2.0, 0.0, -3.0, 100.0, 0.0, 100.0, 50.0, 1000.0) == (-1.0, 1000.0)


@settings(deadline=None)
@given(floats, st.lists(st.tuples(floats, floats, floats, st.booleans(), floats), min_size=1, max_size=5))
def test_the_futures_are_settled_to_their_closes_in_symbol_order(cash, held):
    positions, closes, marks, future, mult = (np.array([h[k] for h in held], dtype=float) for k in range(5))
    expected, expected_marks = _f(cash), marks.copy()
    with np.errstate(all="ignore"):
        for s, (p, c, m, f, x) in enumerate(held):
            if f and p != 0.0 and c == c:
                expected = expected + _f(p) * (_f(c) - _f(m)) * _f(x)
                expected_marks[s] = c
        got = money.settle_futures_nb(cash, positions, closes, marks, future, mult, len(held))
    assert same(got, float(expected))
    assert expected_marks.tobytes() == marks.tobytes()


@settings(deadline=None)
@given(floats, floats, floats, floats, floats, floats, floats, floats, floats, st.booleans())
def test_the_contracts_a_futures_order_may_open(q, position, cash, margin, px, rate, per_share, fixed, minimum,
                                                reject):
    with np.errstate(all="ignore"):
        size = abs(q)
        closing = (size if size <= abs(position) else abs(position)) if q * position < 0.0 else 0.0
        opening = size - closing
        if opening > 0.0:
            n = float(np.floor(_div(cash - fixed, margin + px * rate + per_share)))
            if not math.isnan(minimum):
                m = float(np.floor(_div(cash - minimum, margin)))
                n = m if m < n else n
            if not opening <= n:
                opening = 0.0 if reject else n
            if not opening > 0.0:
                opening = 0.0
        units = closing + opening
        expected = units if q > 0.0 else 0.0 - units
        got = money.margined_nb(q, position, cash, margin, px, rate, per_share, fixed, minimum, reject)
    assert same(got, expected)


def test_the_contracts_a_futures_order_may_open_by_hand():
    # 1049 pays the margin (10) and 0.5 a contract of 99
    assert money.margined_nb(100.0, 0.0, 1049.0, 10.0, 10.0, 0.0, 0.5, 0.0, NAN, False) == 99.0
    assert money.margined_nb(-100.0, 0.0, 1049.0, 10.0, 10.0, 0.0, 0.5, 0.0, NAN, False) == -99.0  # a short too
    assert money.margined_nb(100.0, 0.0, 1049.0, 10.0, 10.0, 0.0, 0.5, 0.0, NAN, True) == 0.0
    # covering a short of 100 needs no cash; reversing to 50 long needs the margin of 50
    assert money.margined_nb(100.0, -100.0, 0.0, 10.0, 10.0, 0.0, 0.5, 0.0, NAN, False) == 100.0
    assert money.margined_nb(150.0, -100.0, 210.0, 10.0, 10.0, 0.0, 0.5, 0.0, NAN, False) == 120.0
    # a minimum commission of 50 leaves 999 for margin alone
    assert money.margined_nb(200.0, 0.0, 1049.0, 10.0, 10.0, 0.0, 0.0, 0.0, 50.0, False) == 99.0


def test_futures_equity_is_the_cash_plus_the_margin_held_and_the_stocks():
    positions, closes = np.array([2.0, -3.0, 10.0, 0.0]), np.array([4000.0, 15000.0, 99.5, NAN])
    future, margin = np.array([1.0, 1.0, 0.0, 1.0]), np.array([12_000.0, 9_000.0, 0.0, 5.0])
    assert money.mark_to_market_futures_nb(1000.0, positions, closes, future, margin, 4) == \
        1000.0 + 2.0 * 12_000.0 + 3.0 * 9_000.0 + 10.0 * 99.5
    stocks = np.zeros(4)
    assert same(money.mark_to_market_futures_nb(1000.0, positions, closes, stocks, margin, 4),
                money.mark_to_market_nb(1000.0, positions, closes, 4, np.empty(4)))  # without futures: the stocks' rule


def test_the_borrow_fee_skips_the_futures():
    positions, closes = np.array([-100.0, -10.0]), np.array([50.0, 20.0])
    assert money.borrow_fee_stocks_nb(1_000.0, positions, closes, np.array([1.0, 0.0]), 0.01, 2) == 998.0
    assert same(money.borrow_fee_stocks_nb(1_000.0, positions, closes, np.zeros(2), 0.01, 2),
                money.borrow_fee_nb(1_000.0, positions, closes, 0.01, 2))
