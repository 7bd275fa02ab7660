"""The metrics of section 8a on small hand-computed cases, their edge cases, and ranking."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.runtime.metrics import COUNTS, METRIC_KEYS, compute_metrics, periods_per_year, rank
from flowc.runtime.trades import TRADE_DTYPE

DAY = 86_400 * 10**9
HOUR = 3_600 * 10**9


def ns(index: pd.DatetimeIndex) -> np.ndarray:
    """int64 nanoseconds (pandas 3 makes datetime64[us] by default, so convert the unit first)."""
    return index.to_numpy().astype("datetime64[ns]").astype(np.int64)


def days(n: int, start: str = "2020-01-06") -> np.ndarray:
    """n consecutive calendar days as int64 ns."""
    return ns(pd.date_range(start, periods=n, freq="D"))


def closed(pnl, returns=None, held=None) -> np.ndarray:
    """Closed trades with these P&Ls (returns and steps held too, when given), closing one step apart in order."""
    trades = np.zeros(len(pnl), TRADE_DTYPE)
    trades["pnl"] = pnl
    trades["return"] = np.nan if returns is None else returns
    trades["exit_step"] = np.arange(len(pnl))
    trades["entry_step"] = trades["exit_step"] - (0 if held is None else np.asarray(held))
    return trades


def metrics(equity, *, cash0=100.0, timestamps=None, trade_pnl=(), trades=None, fill_notional=(), exposed=None,
            **kwargs):
    equity = np.asarray(equity, dtype=float)
    return compute_metrics(
        equity=equity,
        timestamps=days(len(equity)) if timestamps is None else timestamps,
        cash0=cash0,
        trades=closed(trade_pnl) if trades is None else trades,
        fill_notional=np.asarray(fill_notional, dtype=float),
        exposed=np.zeros(len(equity), bool) if exposed is None else np.asarray(exposed),
        bars=kwargs.pop("bars", len(equity)),
        steps=kwargs.pop("steps", len(equity)),
        n_symbols=kwargs.pop("n_symbols", 1),
        **kwargs,
    )


# --- one small run, every metric by hand -----------------------------------------------------

def test_every_metric_of_a_small_run():
    # cash0 100, E = 110, 99, 121 on three consecutive days: r = 0.1, -0.1, 0.2222...
    pnl, returns, held = [5.0, 0.0, -3.0, 2.0], [0.05, 0.0, -0.03, 0.02], [2, 1, 1, 4]
    m = metrics([110.0, 99.0, 121.0], trades=closed(pnl, returns, held), fill_notional=[1000.0, 500.0],
                exposed=[True, False, True], bars=3, steps=3, n_symbols=1)
    assert list(m) == list(METRIC_KEYS)
    r = [110 / 100 - 1, 99 / 110 - 1, 121 / 99 - 1]
    years = 2 / 365.25
    assert m["final_equity"] == 121.0
    assert m["total_return"] == pytest.approx(0.21)
    assert m["cagr"] == pytest.approx(1.21 ** (1 / years) - 1)
    assert m["volatility"] == pytest.approx(statistics.stdev(r) * math.sqrt(252))
    assert m["sharpe"] == pytest.approx(statistics.mean(r) / statistics.stdev(r) * math.sqrt(252))
    assert m["sortino"] == pytest.approx(statistics.mean(r) / math.sqrt(0.1**2 / 3) * math.sqrt(252))
    assert m["max_drawdown"] == pytest.approx(0.1)  # 99 against the peak 110
    assert m["calmar"] == pytest.approx(m["cagr"] / 0.1)
    assert m["trades"] == 4
    assert m["win_rate"] == 0.5  # a P&L of 0 is not a win
    assert m["exposure"] == pytest.approx(2 / 3)
    assert m["turnover"] == pytest.approx(1500 / 110)  # mean over steps, not cash0
    assert (m["bars"], m["steps"], m["symbols"]) == (3, 3, 1)
    assert m["avg_trade"] == statistics.mean(pnl) and m["expectancy"] == pytest.approx(statistics.mean(returns))
    assert (m["best_trade"], m["worst_trade"]) == (0.05, -0.03)
    assert m["profit_factor"] == 7.0 / 3.0 and m["avg_bars_held"] == 2.0
    assert m["sqn"] == pytest.approx(math.sqrt(4) * statistics.mean(pnl) / statistics.stdev(pnl))
    assert m["max_losing_streak"] == 1
    assert all(type(m[k]) is int for k in COUNTS)
    assert all(type(m[k]) is float for k in METRIC_KEYS if k not in COUNTS)


def test_first_return_is_against_the_starting_cash():
    m = metrics([90.0, 90.0], cash0=100.0, periods_per_year=1.0)
    assert m["volatility"] == pytest.approx(statistics.stdev([-0.1, 0.0]))
    assert m["sortino"] == pytest.approx(-0.05 / math.sqrt(0.01 / 2))


def test_drawdown_is_measured_from_the_starting_cash():
    m = metrics([90.0, 95.0], cash0=100.0)
    assert m["max_drawdown"] == pytest.approx(0.1)


def test_no_drawdown_means_no_calmar():
    m = metrics([101.0, 102.0, 103.0])
    assert m["max_drawdown"] == 0.0
    assert m["calmar"] is None
    assert m["sortino"] is None  # no negative return


def test_bars_steps_and_symbols_are_passed_through():
    m = metrics([100.0, 100.0], bars=3, steps=2, n_symbols=2)
    assert (m["bars"], m["steps"], m["symbols"]) == (3, 2, 2)


# --- edge cases -------------------------------------------------------------------------------

def test_constant_equity_has_no_sharpe_or_sortino():
    m = metrics([100.0, 100.0, 100.0, 100.0])
    assert m["volatility"] == 0.0
    assert m["sharpe"] is None and m["sortino"] is None
    assert m["total_return"] == 0.0 and m["cagr"] == 0.0
    assert m["max_drawdown"] == 0.0 and m["calmar"] is None


def test_no_trades_means_no_win_rate():
    m = metrics([100.0, 101.0])
    assert m["trades"] == 0 and m["win_rate"] is None


def test_one_step():
    m = metrics([95.0], cash0=100.0)
    assert m["final_equity"] == 95.0
    assert m["total_return"] == pytest.approx(-0.05)
    assert m["cagr"] is None and m["calmar"] is None  # zero years
    assert m["volatility"] is None and m["sharpe"] is None  # one return: no ddof-1 deviation
    assert m["sortino"] is None  # P cannot be inferred from one timestamp
    assert m["max_drawdown"] == pytest.approx(0.05)


def test_one_step_with_periods_per_year_has_a_sortino():
    m = metrics([95.0], cash0=100.0, periods_per_year=252)
    assert m["sortino"] == pytest.approx(-math.sqrt(252))  # mean -0.05 over downside 0.05


def test_no_steps():
    m = metrics([], bars=0, steps=0)
    assert m["final_equity"] is None and m["exposure"] is None and m["sharpe"] is None
    assert (m["trades"], m["bars"], m["steps"]) == (0, 0, 0)


def test_non_positive_final_equity_has_no_cagr():
    for last in (0.0, -10.0):
        m = metrics([50.0, last], cash0=100.0)
        assert m["cagr"] is None and m["calmar"] is None
        assert m["total_return"] == pytest.approx(last / 100 - 1)


def test_weekly_bars_need_periods_per_year():
    weekly = ns(pd.date_range("2020-01-03", periods=20, freq="W-FRI"))
    with pytest.raises(FlowError) as raised:
        metrics(np.linspace(100, 120, 20), timestamps=weekly)
    assert [d.code for d in raised.value.diagnostics] == ["FL610"]
    m = metrics(np.linspace(100, 120, 20), timestamps=weekly, periods_per_year=52)
    r = np.diff(np.concatenate(([100.0], np.linspace(100, 120, 20)))) / np.concatenate(
        ([100.0], np.linspace(100, 120, 20)[:-1]))
    assert m["volatility"] == pytest.approx(np.std(r, ddof=1) * math.sqrt(52))


# --- periods per year -------------------------------------------------------------------------

def test_daily_bars_give_252_a_year_and_365_where_weekends_trade():
    business_days = pd.bdate_range("2020-01-01", periods=60)
    assert periods_per_year(ns(business_days)) == 252.0
    assert periods_per_year(business_days.to_numpy()) == 252.0  # datetime64 of any unit
    assert periods_per_year(days(60)) == 365.0  # every calendar day: a market that never closes


def _sessions(dates: pd.DatetimeIndex, bars: int, gap: int) -> np.ndarray:
    """`bars` bars `gap` ns apart from 09:30 on each date."""
    start = ns(dates) + int(9.5 * HOUR)
    return np.concatenate([d + np.arange(bars, dtype=np.int64) * gap for d in start])


@pytest.mark.parametrize(("bars", "gap", "expected"), [
    (390, 60 * 10**9, 390 * 252),  # a 6.5-hour session of minute bars: 98,280, as 252 * 6.5 h / gap gave
    (78, 5 * 60 * 10**9, 78 * 252),
    (7, HOUR, 7 * 252),  # hourly bars of a session: 7 a day (09:30 to 15:30)
])
def test_intraday_sessions_count_their_bars_a_day(bars, gap, expected):
    assert periods_per_year(_sessions(pd.bdate_range("2020-01-01", periods=30), bars, gap)) == expected


def test_hourly_bars_around_the_clock_give_24_times_365():
    """24/7 data (crypto): annualised on 8,760 hours, not on 6.5-hour sessions (a Sharpe 2.3 times too small)."""
    stamps = ns(pd.date_range("2021-01-01", periods=24 * 60, freq="h"))
    assert periods_per_year(stamps) == 24 * 365


def test_more_than_a_day_apart_is_fl610():
    with pytest.raises(FlowError) as raised:
        periods_per_year(np.arange(10, dtype=np.int64) * 2 * DAY)
    assert raised.value.diagnostics[0].code == "FL610"
    assert "periods_per_year" in (raised.value.diagnostics[0].hint or "")


# --- ranking ----------------------------------------------------------------------------------

def test_rank_descending_with_undefined_last():
    points = [{"sharpe": 1.0}, {"sharpe": None}, {"sharpe": 3.0}, {"sharpe": float("nan")}, {"sharpe": 2.0}]
    assert rank(points, "sharpe") == [2, 4, 0, 1, 3]


def test_rank_max_drawdown_ascending():
    points = [{"max_drawdown": 0.2}, {"max_drawdown": None}, {"max_drawdown": 0.1}]
    assert rank(points, "max_drawdown") == [2, 0, 1]


def test_rank_keeps_ties_in_order():
    points = [{"trades": 3}, {"trades": 5}, {"trades": 3}]
    assert rank(points, "trades") == [1, 0, 2]


def test_rank_unknown_objective():
    with pytest.raises(ValueError, match="unknown objective"):
        rank([{"sharpe": 1.0}], "sharp")


def test_the_bundled_daily_data_give_252():
    from importlib import resources

    with resources.as_file(resources.files("flowc.runtime").joinpath("sample_data", "sp500.csv")) as csv:
        stamps = pd.read_csv(csv, parse_dates=["timestamp"])["timestamp"]
    assert periods_per_year(ns(pd.DatetimeIndex(stamps))) == 252.0


def test_each_portfolio_of_a_run_has_its_own_metrics(tmp_path):
    """Two books: each one's CAGR and total return from its own equity over the run's years."""
    from flowc.runtime.manager import prepare, run_prepared
    from flowc.runtime.results import summarise
    from tests.test_differential import SHAPES

    path = tmp_path / "two_books.flow"
    path.write_text(SHAPES["two_books"])
    prepared = prepare(path)
    result = summarise("w", run_prepared(prepared), prepared.market, None)
    stamps = prepared.market.timestamps.astype("datetime64[us]").astype(np.int64)
    years = (stamps[-1] - stamps[0]) / (365.25 * 86_400 * 10**6)
    assert set(result.portfolio_metrics) == set(result.ledger.portfolios) and len(result.ledger.portfolios) == 2
    for j, name in enumerate(result.ledger.portfolios):
        m, equity, cash0 = result.portfolio_metrics[name], result.ledger.equity[:, j], result.ledger.cash0[j]
        assert m["total_return"] == pytest.approx(equity[-1] / cash0 - 1, rel=1e-12)
        assert m["cagr"] == pytest.approx((equity[-1] / cash0) ** (1 / years) - 1, rel=1e-12)
        position, held = [0.0] * len(prepared.market.symbols), 0  # the steps it holds a position at their end
        mine = result.ledger.fills[result.ledger.fills["portfolio"] == j]
        for t in range(len(equity)):
            for f in mine[mine["step"] == t]:
                position[f["symbol"]] += f["quantity"]
            held += any(p != 0.0 for p in position)
        assert 0 < held < len(equity) and m["exposure"] == held / len(equity)


# --- trade statistics --------------------------------------------------------------------------


def test_the_losing_streak_counts_trades_in_the_order_they_close():
    trades = closed([-1.0, 2.0, -1.0, -2.0, 0.0, -1.0])
    trades["exit_step"] = [5, 0, 1, 2, 3, 4]  # the first trade closes last: -1 (t1), -2 (t2), 0, -1, -1
    m = metrics([100.0] * 6, trades=trades)
    assert m["max_losing_streak"] == 2  # the zero ends the streak of two; the last two losses make two again


def test_without_a_losing_trade_the_profit_factor_is_undefined_and_without_trades_every_statistic():
    m = metrics([100.0, 101.0], trades=closed([1.0, 2.0], [0.01, 0.02]))
    assert m["profit_factor"] is None and m["max_losing_streak"] == 0 and m["best_trade"] == 0.02
    empty = metrics([100.0, 101.0])
    assert empty["trades"] == 0 and empty["max_losing_streak"] == 0
    assert all(empty[k] is None for k in ("avg_trade", "best_trade", "worst_trade", "profit_factor", "expectancy",
                                          "avg_bars_held", "sqn"))


def test_one_trade_has_no_sqn_and_equal_trades_neither():
    assert metrics([100.0, 101.0], trades=closed([1.0]))["sqn"] is None
    assert metrics([100.0, 101.0], trades=closed([1.0, 1.0]))["sqn"] is None
