"""Per-sleeve results (docs/semantics.md, section 9a): fills name their sleeve, contributions sum to the P&L."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.runtime.ledger import FILL_DTYPE
from flowc.runtime.manager import prepare, run_prepared
from flowc.runtime.results import summarise
from flowc.runtime.sleeves import contribution, held, last_closes
from tests.test_differential import FUTURES, SHAPES, _random_market

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@st.composite
def fills_and_closes(draw):
    steps, n_symbols = draw(st.integers(1, 40)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(0, 30))
    fills = np.zeros(n, FILL_DTYPE)
    fills["step"] = np.sort(rng.integers(0, steps, n))
    fills["symbol"] = rng.integers(0, n_symbols, n)
    fills["quantity"] = rng.choice([-3.0, -1.0, 1.0, 2.0, 0.5, -0.25], n)
    fills["price"] = rng.uniform(10, 200, n)
    fills["commission"] = rng.uniform(0, 1, n)
    present = rng.random((steps, n_symbols)) < 0.8
    close = np.where(present, rng.uniform(10, 200, (steps, n_symbols)), np.nan)
    multiplier = rng.choice([1.0, 50.0, 0.1, 2.5], n_symbols)  # stocks and futures contracts (section 8b)
    return fills, close, present, multiplier


@settings(max_examples=100, deadline=None)
@given(fills_and_closes())
def test_contribution_and_held_follow_the_definition_step_by_step(case):
    """Section 9a written as a plain loop: the same operations in the same order, so the same bits."""
    fills, close, present, multiplier = case
    steps, n_symbols = close.shape
    last = [math.nan] * n_symbols
    position, flows, k = [0.0] * n_symbols, 0.0, 0
    expected, holding = np.empty(steps), np.empty(steps, dtype=bool)
    for t in range(steps):
        for s in range(n_symbols):
            if present[t, s]:
                last[s] = close[t, s]
        while k < len(fills) and fills["step"][k] == t:
            f = fills[k]
            position[f["symbol"]] = position[f["symbol"]] + f["quantity"]
            flows = flows - ((f["quantity"] * f["price"]) * multiplier[f["symbol"]] + f["commission"])
            k += 1
        c = flows
        for s in range(n_symbols):
            if position[s] != 0.0:
                c = c + (position[s] * last[s]) * multiplier[s]
        expected[t], holding[t] = c, any(p != 0.0 for p in position)
    assert contribution(fills, last_closes(close, present), multiplier).tobytes() == expected.tobytes()
    assert (held(fills, steps) == holding).all()


def _sleeves_sum_to_the_pnl(result) -> None:
    ledger = result.ledger
    multiplier = ledger.multipliers(len(result.market.symbols))
    for j in range(len(ledger.portfolios)):
        mine = ledger.fills[ledger.fills["portfolio"] == j]
        value = np.abs(mine["quantity"] * mine["price"]) * multiplier[mine["symbol"]]
        scale = ledger.cash0[j] + value.sum() + mine["commission"].sum()
        total = sum(curve for (p, _), curve in result.contributions.items() if p == j)
        assert np.all(np.abs(total - (ledger.equity[:, j] - ledger.cash0[j])) <= 1e-12 * scale)


def _sleeves_add_up(result) -> None:
    """Trades, fills, commissions and turnover of a portfolio's sleeves add up to the portfolio's."""
    for name, own in result.portfolio_metrics.items():
        mine = [s for s in result.sleeve_metrics if s["portfolio"] == name]
        assert sum(s["trades"] for s in mine) == own["trades"]
        assert sum(s["fills"] for s in mine) == int((result.ledger.fills["portfolio"] ==
                                                      result.ledger.portfolios.index(name)).sum())
        if own["turnover"] is not None:
            assert sum(s["turnover"] for s in mine) == pytest.approx(own["turnover"], rel=1e-12, abs=1e-12)
        assert sum(s["pnl"] for s in mine) == pytest.approx(own["pnl"], rel=1e-9, abs=1e-6)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    found = {}
    for name in ("combined", "two_books", "orders"):
        path = tmp_path_factory.mktemp(name) / f"{name}.flow"
        path.write_text(SHAPES[name])
        found[name] = prepare(path)
    return found


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["combined", "two_books", "orders"]), seed=st.integers(0, 2**32 - 1),
       holes=st.sampled_from([0.0, 0.2]))
def test_sleeves_sum_to_their_portfolio_on_random_data(shapes, name, seed, holes):
    prepared = shapes[name]
    market = _random_market(prepared.market, seed, holes)
    prepared.market = market
    result = summarise("w", run_prepared(prepared, engine="compiled"), market, 252.0)
    _sleeves_sum_to_the_pnl(result)
    _sleeves_add_up(result)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), holes=st.sampled_from([0.0, 0.2]), m_es=st.floats(0.5, 100),
       g_es=st.floats(0, 8_000))
def test_futures_sleeves_sum_to_their_portfolio_on_random_data(tmp_path_factory, seed, holes, m_es, g_es):
    """Settled at every close, a futures position's gains are in the cash, its contribution at the close (8b)."""
    path = tmp_path_factory.mktemp("futures") / "futures.flow"
    path.write_text(FUTURES)
    prepared = prepare(path, end="2000-06-30")
    market = _random_market(prepared.market, seed, holes)
    prepared.market = market
    values = {"m_es": m_es, "g_es": g_es, "borrow": 0.0}  # a borrow fee is the portfolio's, no sleeve's
    result = summarise("w", run_prepared(prepared, values, engine="compiled"), market, 252.0)
    _sleeves_sum_to_the_pnl(result)
    _sleeves_add_up(result)


def test_each_fill_is_the_sleeve_that_ordered_it():
    """Two sleeves in one symbol: each sleeve's fills net to what it ordered (market orders, all filled)."""
    prepared = prepare(EXAMPLES / "two_sleeves.flow")
    ledger = run_prepared(prepared, engine="compiled")
    assert len(ledger.unfilled) == 0 and set(ledger.fills["risk"]) == {0, 1}
    for r in range(len(ledger.risks)):
        sent = ledger.orders[(ledger.orders["risk"] == r) & (ledger.orders["status"] == 0)]
        fills = ledger.fills[ledger.fills["risk"] == r]
        assert fills["quantity"].sum() == sent["quantity"].sum()
        assert len(fills) == len(sent)  # next-open market orders: one fill each, at the next step
        assert (fills["step"] == sent["step"] + 1).all() and (fills["quantity"] == sent["quantity"]).all()


def test_two_sleeves_reported_per_sleeve(tmp_path):
    prepared = prepare(EXAMPLES / "two_sleeves.flow")
    result = summarise("two_sleeves", run_prepared(prepared), prepared.market, None)
    _sleeves_sum_to_the_pnl(result)
    _sleeves_add_up(result)
    assert [s["sleeve"] for s in result.sleeve_metrics] == ["trend_risk", "revert_risk"]
    assert result.metrics["exposure"] == result.portfolio_metrics["portfolio"]["exposure"]
    result.write(tmp_path)
    import json

    import pandas as pd

    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written["sleeves"] == result.sleeve_metrics and written["portfolios"]["portfolio"]["exposure"] > 0
    trades, fills = pd.read_csv(tmp_path / "trades.csv"), pd.read_csv(tmp_path / "fills.csv")
    for sleeve in written["sleeves"]:
        assert (trades["sleeve"] == sleeve["sleeve"]).sum() == sleeve["trades"]
        assert (fills["sleeve"] == sleeve["sleeve"]).sum() == sleeve["fills"]
        assert trades.loc[trades["sleeve"] == sleeve["sleeve"], "pnl"].sum() == pytest.approx(sleeve["pnl"])
    equity = pd.read_csv(tmp_path / "equity.csv")
    assert list(equity.columns[-2:]) == ["contribution:trend_risk", "contribution:revert_risk"]
