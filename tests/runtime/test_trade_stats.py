"""The trade statistics of real runs against pandas, computed from `trades.csv`'s columns as docs/language.md
(section 11) defines them, independently of the kernels."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from flowc.tools.api import backtest
from tests.conftest import EXAMPLES


def expected(trades: pd.DataFrame) -> dict[str, float | int | None]:
    pnl, ret = trades["pnl"], trades["return"]
    losses = -pnl[pnl < 0].sum()
    by_close = trades.sort_values("exit_step", kind="stable")
    streak = longest = 0
    for value in by_close["pnl"]:
        streak = streak + 1 if value < 0 else 0
        longest = max(longest, streak)
    return {
        "avg_trade": pnl.mean(), "best_trade": ret.max(), "worst_trade": ret.min(),
        "profit_factor": pnl[pnl > 0].sum() / losses if losses > 0 else None, "expectancy": ret.mean(),
        "avg_bars_held": (trades["exit_step"] - trades["entry_step"]).mean(),
        "sqn": math.sqrt(len(pnl)) * pnl.mean() / pnl.std(ddof=1), "max_losing_streak": longest,
    }


@pytest.mark.parametrize("example", ["simple_backtest.flow", "full_backtest.flow", "two_indices.flow"])
def test_trade_statistics_equal_pandas_on_the_trade_table(example):
    result = backtest(EXAMPLES / example)
    trades = result.trade_table()
    assert len(trades) == result.metrics["trades"] > 1
    assert (trades["bars_held"] == trades["exit_step"] - trades["entry_step"]).all()
    for key, value in expected(trades).items():
        assert result.metrics[key] == pytest.approx(value, rel=1e-12), key
