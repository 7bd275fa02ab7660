"""End to end: every example runs through the CLI; results match independent computations.

- `simple_backtest` equals the pandas oracle of its stated meaning for several windows;
- hoisted and step-by-step programs give bit-identical ledgers on every example;
- a failed run leaves no output files.
"""

import json
import shutil

import pandas as pd
import pytest

from flowc.runtime.manager import prepare, run_prepared
from flowc.tools.cli import main
from tests.conftest import EXAMPLES
from tests.oracles.sma_pandas import simple_backtest_oracle

RUNNABLE = ["simple_backtest", "full_backtest", "two_indices", "pairs_spread", "two_sleeves", "futures"]


@pytest.mark.parametrize("name", [*RUNNABLE, "sma_grid"])
def test_every_example_runs(name, capsys):
    assert main(["run", str(EXAMPLES / f"{name}.flow"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    if name == "sma_grid":
        assert len(out) == 24
    else:
        assert out["final_equity"] > 0 and out["bars"] > 0


@pytest.mark.parametrize(("name", "rows"), [
    ("two_sleeves", [["trend_risk", "312,637", "31.26%", "32"], ["revert_risk", "113,122", "11.31%", "51"],
                     ["(portfolio)", "425,759", "42.58%", "83"]]),
    ("full_backtest", [["risk", "66,089", "6.61%", "110"], ["(portfolio)", "66,089", "6.61%", "110"]])])
def test_the_terminal_shows_a_table_by_sleeve(name, rows, capsys):
    """Each sleeve's contribution, return and trades, then its portfolio's (docs/language.md, section 11)."""
    assert main(["run", str(EXAMPLES / f"{name}.flow")]) == 0
    table = capsys.readouterr().out.split("by sleeve")[1]
    shown = [line.split() for line in table.splitlines() if line.split() and line.split()[0] in {r[0] for r in rows}]
    assert [line[:4] for line in shown] == rows


@pytest.fixture(scope="module")
def simple():
    return prepare(EXAMPLES / "simple_backtest.flow")


@pytest.fixture(scope="module")
def sp500():
    from flowc.runtime.data import sample_path

    return pd.read_csv(sample_path("sp500"))


@pytest.mark.parametrize(("fast", "slow"), [(10, 30), (5, 20), (20, 90), (10, 50), (3, 7)])
def test_simple_backtest_matches_the_pandas_oracle(simple, sp500, fast, slow):
    from flowc.runtime.results import summarise

    ledger = run_prepared(simple, {"fast": fast, "slow": slow})
    result = summarise("simple_backtest", ledger, simple.market, None)
    expected = simple_backtest_oracle(sp500, fast, slow)
    assert result.metrics["final_equity"] == pytest.approx(expected["final_equity"], rel=0, abs=1e-6)
    assert result.metrics["trades"] == expected["trades"]
    assert len(ledger.fills) == expected["fills"]


def test_published_result(simple):
    ledger = run_prepared(simple)
    assert ledger.equity[-1, 0] == pytest.approx(1_029_847.7583013, abs=1e-6)
    assert len(ledger.fills) == 176
    assert ledger.positions[0, 0] == 0


@pytest.mark.parametrize("name", RUNNABLE)
def test_hoisted_equals_step_by_step(name):
    hoisted = prepare(EXAMPLES / f"{name}.flow")
    stepped = prepare(EXAMPLES / f"{name}.flow", hoist=False)
    assert any(n.hoisted for n in hoisted.plan.nodes)
    assert not any(n.hoisted for n in stepped.plan.nodes)
    assert run_prepared(hoisted).same_as(run_prepared(stepped))


def test_outputs_are_written(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(EXAMPLES / "simple_backtest.flow"), "--out", str(out), "--quiet"]) == 0
    written = {p.name for p in out.iterdir()}
    assert {"equity.csv", "fills.csv", "metrics.json", "orders.csv", "trades.csv", "positions.csv"} <= written
    assert not [name for name in written if name.endswith(".tmp")]
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("final_equity", "total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar",
                "trades", "win_rate", "exposure", "turnover", "bars", "symbols", "timings"):
        assert key in metrics
    assert len(pd.read_csv(out / "trades.csv")) == 88
    assert len(pd.read_csv(out / "equity.csv")) == 5031


def test_a_failed_run_writes_nothing(tmp_path, capsys):
    flow = tmp_path / "bad.flow"
    shutil.copy(EXAMPLES / "simple_backtest.flow", flow)
    csv = tmp_path / "prices.csv"
    csv.write_text("timestamp,open,high,low,close,volume\n2020-01-02,1,1,1,1,1\n2020-01-01,1,1,1,1,1\n")
    flow.write_text(flow.read_text().replace('sample("sp500", symbol = "SPX")', 'csv("prices.csv")'))
    out = tmp_path / "out"
    assert main(["run", str(flow), "--out", str(out)]) == 1
    assert "FL604" in capsys.readouterr().err
    assert not out.exists()


def test_set_overrides_and_wrong_types(capsys):
    assert main(["run", str(EXAMPLES / "simple_backtest.flow"), "--set", "fast=5", "--json"]) == 0
    capsys.readouterr()
    assert main(["run", str(EXAMPLES / "simple_backtest.flow"), "--set", "fast=five"]) == 1
    err = capsys.readouterr().err
    assert "FL511" in err and "fast" in err
