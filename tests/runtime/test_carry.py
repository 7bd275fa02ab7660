"""Carry at yearly rates: interest on the cash and a borrow fee on shorts for the time elapsed between the
portfolio's runs, from the timestamps (docs/semantics.md, section 8).

A short of 10 units on daily bars with a weekend and a step without a bar; the cash is written out
step by step as the semantics define it, and both engines must give it to the bit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.reference import run_reference

from .test_exits import bars, errors

TEMPLATE = """
containers t {{ backtest: backtest {{
    data: data {{ source = sample("sp500", symbol = "A") }}
    strategy: strategy {{ signal = volume }}
    risk: risk {{ size = units(10); long_only = false }}
    execution: execution {{ fill = close() }}
    portfolio: portfolio {{ cash = 10_000; {carry} }}
}} }}
communication w {{
    pipeline data -> strategy -> risk -> execution -> portfolio
    broadcast data -> risk, execution, portfolio : BAR
}}
workflow w {{ containers = t; communication = w }}
"""
DAY = 86400
# Thursday 2024-02-29 (a leap day), Friday, a step without a bar on Saturday, Monday, Tuesday
DAYS = (0, 1, 2, 4, 5)
ROWS = ((100, 100, 100, 100, -1), (102, 102, 102, 102, -1), None, (98, 98, 98, 98, -1), (99, 99, 99, 99, 1))


def market():
    start = np.datetime64("2024-02-29", "s").astype(np.int64)
    stamps = np.array([(start + d * DAY) * 1_000_000_000 for d in DAYS], dtype=np.int64).astype("datetime64[ns]")
    return dataclasses.replace(bars(*ROWS), timestamps=stamps)


def expected_equity(interest: float, borrow: float, least: float = 0.0) -> list[float]:
    """The semantics by hand: a fill at each close, then the carry of the years since the previous run;
    the portfolio sees the bars whose close is at least `least`, and runs at those and at its fills."""
    cash, position, when, last, equity = 10_000.0, 0.0, None, float("nan"), []
    for day, row in zip(DAYS, ROWS, strict=True):
        q = 0.0 if row is None else 10.0 * row[4] - position
        if row is not None and row[3] >= least:
            last = float(row[3])
        elif q == 0.0:  # the portfolio does not run: its equity carries over
            equity.append(equity[-1])
            continue
        if q != 0.0:
            position, cash = position + q, cash - (q * float(row[3]) + 0.0)
        years = 0.0 if when is None else (day * DAY * 1.0 - when) / 31536000.0
        when = day * DAY * 1.0
        cash = cash + cash * (interest / 100.0 * years)
        if position < 0.0:
            cash = cash - ((0.0 - position) * last) * (borrow / 100.0 * years)
        equity.append(cash + position * last)
    return equity


@pytest.mark.slow
def test_yearly_rates_charge_the_time_elapsed_in_both_engines(tmp_path):
    path = tmp_path / "carry.flow"
    path.write_text(TEMPLATE.format(carry="interest_per_year = 5; borrow_fee_per_year = 10"))
    prepared = prepare(path)
    prepared.market = market()
    reference = run_reference(prepared.analysis, prepared.market, list(prepared.params()))
    assert run_prepared(prepared, engine="compiled").same_as(reference)
    equity = [float(e) for e in reference.equity[:, 0]]
    assert equity == expected_equity(5.0, 10.0)
    # Friday: one day of 5 % on 11,000 earned, 10 % on the short's 1,020 paid; Monday: three days
    friday = 11_000 + 11_000 * 0.05 / 365 - 1_020 * 0.10 / 365 - 1_020
    assert equity[1] == pytest.approx(friday, abs=1e-9)
    assert equity[3] - equity[1] == pytest.approx(40 + 3 * (0.05 * 11_000 - 0.10 * 980) / 365, abs=0.01)


@pytest.mark.slow
def test_a_portfolio_runs_at_a_fill_without_a_bar_and_charges_the_time_since_its_previous_run(tmp_path):
    """The portfolio sees the bars that close at 100 or above (Thursday and Friday); Tuesday's fill runs
    it without a bar: four days of carry, the short's value at Friday's close (docs/semantics.md, 8)."""
    path = tmp_path / "carry.flow"
    text = TEMPLATE.format(carry="interest_per_year = 5; borrow_fee_per_year = 10")
    text = text.replace("broadcast data -> risk, execution, portfolio : BAR",
                        "broadcast data -> risk, execution : BAR\n    route data -> portfolio : BAR when close >= 100")
    path.write_text(text)
    prepared = prepare(path)
    prepared.market = market()
    reference = run_reference(prepared.analysis, prepared.market, list(prepared.params()))
    assert run_prepared(prepared, engine="compiled").same_as(reference)
    equity = [float(e) for e in reference.equity[:, 0]]
    assert equity == expected_equity(5.0, 10.0, least=100.0)
    assert equity[2] == equity[3] != equity[4]  # Monday's bar (98) does not reach it, and nothing fills


def test_the_first_run_charges_nothing_and_a_rate_of_zero_is_none(tmp_path):
    path = tmp_path / "carry.flow"
    path.write_text(TEMPLATE.format(carry="interest_per_year = 0; borrow_fee_per_year = 0"))
    prepared = prepare(path)
    equity = run_reference(prepared.analysis, market(), list(prepared.params())).equity[:, 0]
    assert [float(e) for e in equity] == [10_000.0, 9_980.0, 9_980.0, 10_020.0, 10_010.0]


@pytest.mark.parametrize(("carry", "code"), [
    ("interest_per_year = 5; interest_per_bar = 0.01", "FL509"),  # one rate per carry
    ("borrow_fee_per_bar = 0.01; borrow_fee_per_year = 5", "FL509"),
    ("interest_per_year = -1", "FL509"),
    ("borrow_fee_per_year = close", "FL501"),
])
def test_bad_yearly_rates_are_diagnosed(carry, code):
    assert [c for c, _ in errors(TEMPLATE.format(carry=carry))] == [code]


def test_a_yearly_and_a_per_bar_rate_of_two_kinds_combine():
    assert errors(TEMPLATE.format(carry="interest_per_bar = 0.01; borrow_fee_per_year = 5")) == []
