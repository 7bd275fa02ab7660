"""The Python API returns the same results as the CLI, as pandas objects; DataFrames in, sweeps out."""

import numpy as np
import pandas as pd
import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.runtime.data import sample_path
from flowc.runtime.manager import RunOptionError
from flowc.runtime.metrics import METRIC_KEYS
from flowc.tools.api import backtest, sweep
from tests.conftest import EXAMPLES

SIMPLE = EXAMPLES / "simple_backtest.flow"


@pytest.fixture(scope="module")
def simple():
    return backtest(SIMPLE)


@pytest.fixture(scope="module")
def sp500() -> pd.DataFrame:
    return pd.read_csv(sample_path("sp500"), index_col="timestamp", parse_dates=True)


def test_backtest_returns_pandas_results(simple):
    assert simple.metrics["final_equity"] == pytest.approx(1_029_847.7583013, abs=1e-6)
    assert isinstance(simple.equity, pd.DataFrame) and len(simple.equity) == 5031
    assert isinstance(simple.equity.index, pd.DatetimeIndex)
    assert len(simple.trades) == 88 and simple.trade_table() is simple.trades
    positions = simple.positions
    assert positions.loc[0, "position"] == 0 and positions.loc[0, "unrealised_pnl"] == 0
    assert positions["realised_pnl"].sum() == pytest.approx(simple.trades["pnl"].sum())
    assert list(simple.stats.index[:len(METRIC_KEYS)]) == list(METRIC_KEYS)
    assert simple.stats.dtype == float and simple.stats["trades"] == 88
    assert len(simple.fills) == len(simple.orders) > 0
    assert "88 trades" in repr(simple)


def test_params_and_errors():
    assert backtest(SIMPLE, params={"fast": 5}).metrics["trades"] != 88
    with pytest.raises(FlowError, match="FL511"):
        backtest(SIMPLE, params={"fats": 5})


def test_open_positions_are_marked(tmp_path):
    flow = SIMPLE.read_text().replace("long_only = true", "long_only = false")
    path = tmp_path / "open.flow"
    path.write_text(flow)
    with pytest.raises(FlowError, match="FL613"):  # slow never defined: no signal, said before the run
        backtest(path, params={"fast": 3, "slow": 6000})
    result = backtest(path, params={"fast": 3, "slow": 5000})  # defined near the end: still long
    positions = result.positions
    row = positions.loc[0]
    assert row["position"] != 0
    assert row["unrealised_pnl"] == pytest.approx(row["position"] * (row["last_close"] - row["average_price"]))
    final = result.metrics["final_equity"]
    assert final == pytest.approx(1_000_000 + positions["realised_pnl"].sum() + row["unrealised_pnl"])


# ---- DataFrames in ---------------------------------------------------------------------------


def test_a_run_from_a_dataframe_equals_the_run_from_its_csv(simple, sp500):
    upper = sp500.rename(columns=str.upper).assign(extra=1.0)  # any letter case; other columns ignored
    from_frame = backtest(SIMPLE, data={"SPX": upper}, engine="reference")
    assert from_frame.stats.equals(simple.stats)
    assert from_frame.trades.equals(simple.trades) and from_frame.equity.equals(simple.equity)
    as_column = backtest(SIMPLE, data={"SPX": sp500.reset_index().rename(columns={"timestamp": "Date"})},
                         engine="reference")
    assert as_column.stats.equals(simple.stats)


def test_time_zones_are_converted_to_utc(sp500):
    local = sp500.copy()
    local.index = (local.index + pd.Timedelta(hours=16)).tz_localize("America/New_York")
    bt = backtest(SIMPLE, data={"SPX": local}, engine="reference", end="1999-03-01")
    assert bt.equity.index[0] == pd.Timestamp("1999-01-04 21:00")


def test_a_bad_frame_gets_the_file_diagnostics(sp500):
    bad = sp500.copy()
    bad.iloc[2, bad.columns.get_loc("close")] = -1.0
    with pytest.raises(FlowError) as caught:
        backtest(SIMPLE, data={"SPX": bad}, engine="reference")
    [d] = caught.value.diagnostics
    assert d.code == "FL605" and "`data['SPX']` row 3, column `close`" in d.message
    with pytest.raises(FlowError) as caught:
        backtest(SIMPLE, data={"SPX": sp500.drop(columns="volume")}, engine="reference")
    [d] = caught.value.diagnostics
    assert d.code == "FL602" and "no column `volume`; the DataFrame has" in d.message and d.hint
    backwards = sp500.iloc[::-1]
    with pytest.raises(FlowError, match="FL604"):
        backtest(SIMPLE, data={"SPX": backwards}, engine="reference")
    with pytest.raises(FlowError, match="FL607"):
        backtest(SIMPLE, data={"SPX": sp500.iloc[:0]}, engine="reference")
    with pytest.raises(RunOptionError, match=r"data\['SPY'\]: no data source has the symbol `SPY`"):
        backtest(SIMPLE, data={"SPY": sp500}, engine="reference")
    with pytest.raises(TypeError, match="expected a pandas DataFrame"):
        backtest(SIMPLE, data={"SPX": sp500.to_numpy()}, engine="reference")


def test_start_and_end_cut_the_run_as_the_cli_does(sp500):
    bt = backtest(SIMPLE, start=pd.Timestamp("2010-01-01"), end="2012-12-31", engine="reference")
    assert bt.equity.index[0] == pd.Timestamp("2010-01-04") and bt.equity.index[-1] == pd.Timestamp("2012-12-31")
    assert bt.stats["steps"] == len(bt.equity) == 754
    with pytest.raises(RunOptionError, match="selects no bars"):
        backtest(SIMPLE, start="2030-01-01", engine="reference")


def test_a_workflow_given_as_text(simple, sp500):
    text = SIMPLE.read_text().replace('sample("sp500", symbol = "SPX")', 'csv("nowhere.csv", symbol = "SPX")')
    assert backtest(text, data={"SPX": sp500}, engine="reference").stats.equals(simple.stats)
    with pytest.raises(FlowError) as caught:
        backtest(text.replace("fast_ma, slow_ma", "fast_ma, slwo_ma"), engine="reference")
    [d] = caught.value.diagnostics
    assert d.code == "FL201" and str(d.span) == "<flow text>:20:41" and "slow_ma" in d.hint


def test_plot_and_save(simple, tmp_path):
    pytest.importorskip("plotly")
    assert simple.plot().data[0].name == "simple_backtest"
    assert simple.plot("price", symbol="SPX").data[0].name == "SPX close"
    with pytest.raises(ValueError, match="the charts are"):
        simple.plot("candles")
    folder = simple.save(tmp_path / "out")
    written = pd.read_csv(folder / "trades.csv")
    assert np.array_equal(written["pnl"].to_numpy(), simple.trades["pnl"].to_numpy())


# ---- sweeps ----------------------------------------------------------------------------------


def test_sweep_rows_equal_single_runs():
    table = sweep(SIMPLE, {"fast": [5, 10], "slow": [30, 50]})
    assert list(table.columns[:2]) == ["fast", "slow"] and len(table) == 4
    assert (table["status"] == "ok").all()
    assert table["sharpe"].is_monotonic_decreasing
    for _, row in table.iterrows():
        single = backtest(SIMPLE, params={"fast": row["fast"], "slow": row["slow"]})
        assert single.stats["final_equity"] == row["final_equity"] and single.stats["sharpe"] == row["sharpe"]


def test_sweep_of_the_workflows_own_grid_and_errors(sp500):
    table = sweep(EXAMPLES / "sma_grid.flow", start="2015-01-01")
    assert len(table) > 1 and (table["status"] == "ok").all()
    with pytest.raises(FlowError, match="FL511"):
        sweep(SIMPLE, {"fats": [1, 2]})
    with pytest.raises(FlowError, match="FL511"):
        sweep(SIMPLE, {"fast": ["five"]})
    with pytest.raises(ValueError, match="runs inline or on `process` workers only"):
        sweep(SIMPLE, {"fast": [5]}, data={"SPX": sp500}, executor="dask")


def test_one_long_dataframe_equals_one_frame_per_symbol():
    two = EXAMPLES / "two_indices.flow"
    frames = {symbol: pd.read_csv(sample_path(name), index_col="timestamp", parse_dates=True)
              for symbol, name in (("SPX", "sp500"), ("NDX", "nasdaq"))}
    by_symbol = backtest(two, data=frames, engine="reference")
    long = pd.concat([f.assign(Symbol=s) for s, f in frames.items()]).sort_index(kind="stable")
    assert backtest(two, data=long, engine="reference").stats.equals(by_symbol.stats)
    levels = long.reset_index().set_index(["timestamp", "Symbol"])  # the symbol as an index level
    assert backtest(two, data=levels, engine="reference").stats.equals(by_symbol.stats)
    with pytest.raises(FlowError) as caught:
        backtest(two, data=long.drop(columns="Symbol"), engine="reference")
    [d] = caught.value.diagnostics
    assert d.code == "FL602" and "without a `symbol` column" in d.message and "dict of symbol" in d.hint
