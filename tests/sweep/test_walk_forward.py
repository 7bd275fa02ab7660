"""Walk-forward: windows, warm-up, the choice on each train window, and the stitched out-of-sample run."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from flowc.compiler.warmup import longest_warmup
from flowc.runtime.manager import prepare, run_prepared, slice_market
from flowc.runtime.sweep.job import make_job
from flowc.runtime.sweep.walk_forward import Window, make_windows, window_task
from flowc.runtime.sweep.windows import starting_cash, trim, with_cash
from flowc.tools.cli import main
from tests.conftest import EXAMPLES
from tests.sweep.flows import flow_file

WF = """
sweep fast in [5, 10]
sweep slow in [20, 40]
walk_forward train = 1000, test = 500, step = 500
objective = sharpe
"""


def test_windows_roll_by_step():
    assert make_windows(10, 4, 2, 2) == [Window(0, (0, 4), (4, 6)), Window(1, (2, 6), (6, 8)),
                                         Window(2, (4, 8), (8, 10))]
    assert [w.test for w in make_windows(9, 4, 2, 2)] == [(4, 6), (6, 8), (8, 9)]  # the last one is shorter
    assert [w.test for w in make_windows(10, 4, 3, 2)] == [(4, 6), (6, 8), (8, 10)]  # overlap cut: no bar twice
    assert [w.test for w in make_windows(12, 4, 2, 3)] == [(4, 6), (7, 9), (10, 12)]  # gaps between tests
    assert make_windows(4, 4, 2, 2) == []


def test_longest_warmup(tmp_path):
    simple = prepare(EXAMPLES / "simple_backtest.flow")
    assert longest_warmup(simple.plan, simple.params()) == 29  # sma(close, 30)
    assert longest_warmup(simple.plan, simple.params({"slow": 90, "fast": 5})) == 89
    full = prepare(EXAMPLES / "full_backtest.flow")
    assert longest_warmup(full.plan, full.params()) == 29  # slow sma; stdev(returns(close), 20) needs 1 + 19
    path = tmp_path / "nested.flow"
    path.write_text((EXAMPLES / "simple_backtest.flow").read_text().replace(
        "slow_ma = sma(close, slow)", "slow_ma = sma(ema(returns(close), 7), slow)"))
    nested = prepare(path)
    assert longest_warmup(nested.plan, nested.params()) == 1 + 6 + 29


def test_a_window_run_matches_the_reference_engine_and_trades_only_after_warmup():
    prepared = prepare(EXAMPLES / "simple_backtest.flow")
    values = {"fast": 10, "slow": 50}
    task = window_task(values, Window(0, (0, 1200), (1200, 1500)), (1200, 1500), 49)
    assert (task.start, task.stop, task.trade_from) == (1151, 1500, 49)
    from dataclasses import replace

    windowed = replace(prepared, market=slice_market(prepared.market, task.start, task.stop))
    compiled = run_prepared(windowed, values, trade_from=task.trade_from)
    reference = run_prepared(windowed, values, engine="reference", trade_from=task.trade_from)
    assert compiled.same_as(reference)
    assert len(compiled.orders) and compiled.orders["step"].min() >= task.trade_from
    ledger, market = trim(compiled, windowed.market, task.trade_from)
    assert market.n_steps == 300 and len(ledger.equity) == 300 and ledger.fills["step"].min() >= 0
    richer = with_cash(windowed, 2_500_000.0)
    assert starting_cash(richer, values) == 2_500_000.0
    assert run_prepared(richer, values, trade_from=task.trade_from).cash0.tolist() == [2_500_000.0]


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wf")
    path = flow_file(folder, WF)
    out = folder / "out"
    return path, out


def test_walk_forward_end_to_end_and_resumed(walked, capsys):
    path, out = walked
    assert main(["run", str(path), "--executor", "process", "--workers", "2", "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    windows = data["windows"]
    assert len(windows) == 9 and data["warmup_bars"] == 39
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns[:3]) == ["window", "fast", "slow"] and len(table) == 4 * 10
    whole = table[table["window"].isna()]
    best = whole.sort_values("sharpe", ascending=False).iloc[0]
    assert data["in_sample"]["params"] == {"fast": int(best["fast"]), "slow": int(best["slow"])}
    for w in windows:
        rows = table[table["window"] == w["window"]].sort_values("sharpe", ascending=False, kind="stable")
        assert w["chosen"] == {"fast": int(rows.iloc[0]["fast"]), "slow": int(rows.iloc[0]["slow"])}
        assert w["in_sample"]["sharpe"] == pytest.approx(rows.iloc[0]["sharpe"], rel=1e-9)
    assert windows[0]["starting_cash"] == 1_000_000
    for before, after in itertools.pairwise(windows):  # each test window starts with the previous one's equity
        assert after["starting_cash"] == before["out_of_sample"]["final_equity"]
    oos = data["out_of_sample"]
    assert oos["final_equity"] == windows[-1]["out_of_sample"]["final_equity"]
    assert oos["steps"] == sum(w["out_of_sample"]["steps"] for w in windows) == 5031 - 1000
    assert oos["trades"] == sum(w["out_of_sample"]["trades"] for w in windows)
    equity = pd.read_csv(out / "oos_equity.csv")
    assert len(equity) == oos["steps"] and equity["equity"].iloc[-1] == pytest.approx(oos["final_equity"], rel=1e-9)
    assert np.all(np.diff(pd.to_datetime(equity["timestamp"]).to_numpy()) > np.timedelta64(0))

    # run again on the same directory: every train point comes from the store
    before = (out / "sweep.jsonl").read_text()
    first = json.loads((out / "walk_forward.json").read_text())
    assert main(["run", str(path), "--executor", "inline", "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert (out / "sweep.jsonl").read_text() == before  # no train point ran again


def test_the_job_of_a_walk_forward_names_its_windows_in_keys(walked):
    path, _ = walked
    prepared = prepare(path)
    job = make_job(prepared, path, None, ())
    a = window_task({"fast": 5, "slow": 20}, Window(3, (1500, 2500), (2500, 3000)), (1500, 2500), 39)
    b = window_task({"fast": 5, "slow": 20}, Window(3, (1500, 2500), (2500, 3000)), (1500, 2500), 19)
    assert a.key != b.key and job.fingerprint
