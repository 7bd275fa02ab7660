"""The Python API returns the same results as the CLI, as pandas objects."""

import pandas as pd
import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.tools.api import backtest
from tests.conftest import EXAMPLES


def test_backtest_returns_pandas_results():
    result = backtest(EXAMPLES / "simple_backtest.flow")
    assert result.metrics["final_equity"] == pytest.approx(1_029_847.7583013, abs=1e-6)
    assert isinstance(result.equity(), pd.DataFrame) and len(result.equity()) == 5031
    assert len(result.trade_table()) == 88
    positions = result.positions()
    assert positions.loc[0, "position"] == 0 and positions.loc[0, "unrealised_pnl"] == 0
    assert positions["realised_pnl"].sum() == pytest.approx(result.trades["pnl"].sum())


def test_params_and_errors():
    assert backtest(EXAMPLES / "simple_backtest.flow", params={"fast": 5}).metrics["trades"] != 88
    with pytest.raises(FlowError, match="FL511"):
        backtest(EXAMPLES / "simple_backtest.flow", params={"fats": 5})


def test_open_positions_are_marked(tmp_path):
    flow = (EXAMPLES / "simple_backtest.flow").read_text().replace("long_only = true", "long_only = false")
    path = tmp_path / "open.flow"
    path.write_text(flow)
    with pytest.raises(FlowError, match="FL613"):  # slow never defined: no signal, said before the run
        backtest(path, params={"fast": 3, "slow": 6000})
    result = backtest(path, params={"fast": 3, "slow": 5000})  # defined near the end: still long
    positions = result.positions()
    row = positions.loc[0]
    assert row["position"] != 0
    assert row["unrealised_pnl"] == pytest.approx(row["position"] * (row["last_close"] - row["average_price"]))
    final = result.metrics["final_equity"]
    assert final == pytest.approx(1_000_000 + positions["realised_pnl"].sum() + row["unrealised_pnl"])
