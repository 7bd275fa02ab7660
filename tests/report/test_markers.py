"""The report's trade markers sit at real fills: each fill's step and price, never a trade's mean price."""

from __future__ import annotations

import pandas as pd
import pytest

from flowc.tools.cli import main
from flowc.tools.report.model import fill_markers, load_run
from tests.conftest import EXAMPLES


def test_markers_are_the_fills_not_the_weighted_mean():
    fills = pd.DataFrame({"step": [5, 8, 12, 20, 25], "symbol": ["SPX"] * 5,
                          "quantity": [100.0, 10.0, -110.0, -50.0, 80.0],
                          "price": [939.3, 1100.0, 1200.0, 1300.0, 1250.0], "portfolio": ["p"] * 5})
    trades = pd.DataFrame({"symbol": ["SPX", "SPX"], "direction": [1, -1], "entry_step": [5, 20],
                           "exit_step": [12, 25],
                           "entry_price": [953.9, 1300.0], "exit_price": [1200.0, 1250.0], "pnl": [27070.0, 2500.0],
                           "return": [0.258, 0.038], "portfolio": ["p", "p"]})
    markers = fill_markers(fills, trades)
    assert list(zip(markers["step"], markers["price"], markers["kind"], strict=True)) == [
        (5, 939.3, "long entry"), (8, 1100.0, "long entry"), (12, 1200.0, "exit"), (20, 1300.0, "short entry"),
        (25, 1250.0, "exit"), (25, 1250.0, "long entry")]  # 80 bought back 50 short: an exit and a long entry
    assert markers["pnl"].iloc[2] == 27070.0 and markers["pnl"].iloc[4] == 2500.0


def test_a_rebalancing_run_draws_every_marker_at_a_fill(tmp_path):
    pytest.importorskip("plotly")
    flow = (EXAMPLES / "simple_backtest.flow").read_text().replace(
        "size = fixed(100)", "size = percent_equity(50)\n            rebalance = true").replace(
        "max_position = 1000", "max_position = 100000")
    path = tmp_path / "rebalance.flow"
    path.write_text(flow)
    out = tmp_path / "r"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 0
    from flowc.runtime.manager import prepare

    view = load_run(out, prepare(path).market)
    fills = pd.read_csv(out / "fills.csv")
    trades = pd.read_csv(out / "trades.csv")
    mean_only = set(trades["entry_price"]) - set(fills["price"])  # weighted means of several fills
    assert mean_only
    at_fills = set(zip(fills["step"], fills["price"], strict=True))
    assert len(view.markers) >= len(fills)
    assert all((step, price) in at_fills for step, price in zip(view.markers["step"], view.markers["price"],
                                                                   strict=True))
    from flowc.tools.report.html import price_figures

    shown = price_figures(view)["SPX"]
    entries = next(t for t in shown.data if t.name == "long entry")
    assert set(entries.y) <= set(fills["price"]) and not mean_only & set(entries.y)
