"""What a run writes and prints is exact: no `-0`, one timestamp format, floats that read back the same."""

import json
import math

import numpy as np
import pandas as pd

from flowc.runtime.metrics import compute_metrics
from flowc.runtime.results import format_stamps, stamp_unit
from flowc.runtime.trades import TRADE_DTYPE
from flowc.tools.cli import main
from tests.conftest import EXAMPLES

SIMPLE = str(EXAMPLES / "simple_backtest.flow")


def test_turnover_without_fills_is_zero_not_minus_zero():
    days = np.array(["2020-01-01", "2020-01-02", "2020-01-03"], dtype="datetime64[us]")
    metrics = compute_metrics(equity=np.full(3, 100.0), timestamps=days,
                              cash0=100.0, trades=np.zeros(0, TRADE_DTYPE), fill_notional=np.array([]),
                              exposed=np.zeros(3, bool), bars=3, steps=3, n_symbols=1)
    assert metrics["turnover"] == 0.0 and math.copysign(1.0, metrics["turnover"]) == 1.0
    assert '"turnover": 0.0' in json.dumps(metrics)


def test_a_run_without_trades_prints_turnover_zero(capsys):
    assert main(["run", SIMPLE, "--set", "fast=30", "--json"]) == 0  # fast == slow: never a crossover
    out = capsys.readouterr().out
    assert json.loads(out)["trades"] == 0 and '"turnover": 0.0' in out and "-0" not in out


def test_stamp_unit_and_format():
    daily = np.array(["1999-01-04", "1999-02-26"], dtype="datetime64[us]")
    assert stamp_unit(daily) == "D" and list(format_stamps(daily, "D")) == ["1999-01-04", "1999-02-26"]
    intraday = np.array(["1999-01-04T14:30", "1999-01-04T14:31:00.25"], dtype="datetime64[us]")
    assert stamp_unit(intraday) == "ms"
    assert list(format_stamps(intraday, "ms")) == ["1999-01-04T14:30:00.000", "1999-01-04T14:31:00.250"]
    minutes = np.array(["1999-01-04T14:30", "1999-01-04T14:31"], dtype="datetime64[us]")
    assert list(format_stamps(minutes, stamp_unit(minutes))) == ["1999-01-04T14:30:00", "1999-01-04T14:31:00"]


def test_csv_files_share_one_date_format_and_full_precision(tmp_path, capsys):
    from flowc.runtime.manager import prepare
    from flowc.tools.commands.run import run_once

    out = tmp_path / "r"
    assert main(["run", SIMPLE, "--out", str(out), "--quiet"]) == 0
    equity = pd.read_csv(out / "equity.csv", dtype={"timestamp": str})
    trades = pd.read_csv(out / "trades.csv", dtype={"entry_time": str, "exit_time": str})
    fills = pd.read_csv(out / "fills.csv", dtype={"timestamp": str})
    assert equity["timestamp"].iloc[0] == "1999-01-04"
    assert len(trades["entry_time"].iloc[0]) == len(fills["timestamp"].iloc[0]) == 10
    result = run_once(prepare(SIMPLE))
    total = result.ledger.equity.sum(axis=1)
    assert np.array_equal(equity["equity"].to_numpy(), total)  # exact, not to 10 significant digits
    assert np.array_equal(fills["price"].to_numpy(), result.ledger.fills["price"])
