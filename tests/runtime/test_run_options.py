"""The everyday options of `flowc run`: --start/--end, --data, --benchmark, --quiet/--verbose, --trace."""

import json

import numpy as np
import pandas as pd
import pytest

from flowc.runtime.data import sample_path
from flowc.runtime.manager import prepare
from flowc.tools.cli import main
from flowc.tools.commands.run import run_once
from tests.conftest import EXAMPLES

SIMPLE = str(EXAMPLES / "simple_backtest.flow")
START, END = "2005-01-03", "2006-12-31"


def _json(capsys, *argv) -> dict:
    capsys.readouterr()
    assert main(["run", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _error(capsys, *argv, code=2) -> str:
    capsys.readouterr()
    assert main(["run", *argv]) == code
    return capsys.readouterr().err


@pytest.fixture(scope="module")
def full():
    return run_once(prepare(SIMPLE), signals=True)


@pytest.fixture(scope="module")
def ranged():
    return prepare(SIMPLE, start=START, end=END)


# ---- --start and --end ----------------------------------------------------------------------


def test_start_and_end_select_the_steps(capsys, tmp_path):
    out = tmp_path / "r"
    metrics = _json(capsys, SIMPLE, "--start", START, "--end", END, "--out", str(out))
    equity = pd.read_csv(out / "equity.csv")
    assert equity["timestamp"].iloc[0] == "2005-01-03"
    assert equity["timestamp"].iloc[-1] == "2006-12-29"  # a bare --end date takes the whole day
    assert metrics["steps"] == len(equity) == 503 and metrics["bars"] == 503
    assert pd.read_csv(out / "orders.csv")["step"].min() >= 0


def test_start_keeps_the_longest_warm_up_before_it(ranged):
    assert ranged.warmup == 29 and ranged.trade_from == 29  # sma(close, 30): 29 bars before the first value
    stamps = ranged.market.timestamps
    assert str(stamps[ranged.trade_from])[:10] == START and str(stamps[0])[:10] == "2004-11-19"


def test_the_range_trades_on_warmed_up_signals(full, ranged):
    """From the start on, features and signals equal the full run's; after the first step the orders do too."""
    part = run_once(ranged, signals=True)
    k0 = int(np.searchsorted(full.market.timestamps, np.datetime64(START)))
    steps = part.market.n_steps
    for path, (present, direction, _) in part.ledger.signals.items():
        whole = full.ledger.signals[path]
        assert np.array_equal(present, whole[0][k0:k0 + steps]) and np.array_equal(direction, whole[1][k0:k0 + steps])
    orders = part.orders()
    later = full.orders()
    later = later[(later["timestamp"] > pd.Timestamp(START)) & (later["timestamp"] <= pd.Timestamp(END))]
    assert orders["timestamp"].iloc[0] == pd.Timestamp(START)  # enters at once: the signal is defined there
    pd.testing.assert_frame_equal(orders.iloc[1:][["timestamp", "quantity"]].reset_index(drop=True),
                                  later[["timestamp", "quantity"]].reset_index(drop=True))


def test_the_reference_engine_agrees_on_a_range(ranged):
    compiled, reference = run_once(ranged), run_once(ranged, engine="reference")
    assert compiled.ledger.same_as(reference.ledger)


def test_end_takes_a_timestamp_and_start_before_the_data_is_the_start(capsys):
    metrics = _json(capsys, SIMPLE, "--start", "1990-01-01", "--end", "1999-12-31T00:00:00")
    assert metrics["steps"] == 252


@pytest.mark.parametrize(("options", "message"), [
    (("--start", "2030-01-01"), "selects no bars; the data runs from 1999-01-04"),
    (("--start", "2006-01-01", "--end", "2005-01-01"), "selects no bars"),
    (("--end", "soon"), "--end 'soon' is not a date or timestamp"),
])
def test_a_range_that_cannot_apply_is_a_usage_error(capsys, options, message):
    assert message in _error(capsys, SIMPLE, *options)


# ---- --data SYMBOL=PATH ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "short.csv"
    lines = sample_path("sp500").read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:301]))
    return path


def test_data_replaces_a_symbol(capsys, short_csv):
    metrics = _json(capsys, SIMPLE, "--data", f"SPX={short_csv}")
    assert metrics["bars"] == 300 and metrics["symbols"] == 1
    prepared = prepare(SIMPLE, data={"SPX": short_csv})
    assert prepared.data_files == [short_csv] and prepared.market.symbols == ("SPX",)


def test_data_replaces_one_symbol_of_several(short_csv):
    prepared = prepare(EXAMPLES / "two_indices.flow", data={"NDX": short_csv})
    assert prepared.market.symbols == ("SPX", "NDX")
    assert [p.name for p in prepared.data_files] == ["sp500.csv", "short.csv"]
    assert prepared.market.present[:, 1].sum() == 300 and prepared.market.present[:, 0].sum() == 5031


def test_data_relative_to_the_working_directory(capsys, short_csv, monkeypatch):
    monkeypatch.chdir(short_csv.parent)
    assert _json(capsys, SIMPLE, "--data", "SPX=short.csv")["bars"] == 300


def test_data_errors(capsys, short_csv, tmp_path):
    err = _error(capsys, SIMPLE, "--data", f"SPY={short_csv}")
    assert "--data SPY=...: no data source has the symbol `SPY`; the symbols are SPX" in err
    assert "write SYMBOL=PATH" in _error(capsys, SIMPLE, "--data", "SPX")
    err = _error(capsys, SIMPLE, "--data", f"SPX={tmp_path / 'missing.csv'}", code=1)
    assert "FL601 --data SPX=" in err and "no such file" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,open,high,low,close,volume\n2020-01-01,1,2,0.5,-1,10\n")
    assert "FL605" in _error(capsys, SIMPLE, "--data", f"SPX={bad}", code=1)


# ---- --benchmark -----------------------------------------------------------------------------


def test_benchmark_is_buy_and_hold_of_the_symbol(capsys):
    metrics = _json(capsys, str(EXAMPLES / "two_indices.flow"), "--benchmark", "NDX")
    ndx = pd.read_csv(sample_path("nasdaq"))["close"]
    assert metrics["benchmark"]["symbol"] == "NDX"
    assert metrics["benchmark"]["total_return"] == pytest.approx(ndx.iloc[-1] / ndx.iloc[0] - 1, rel=1e-12)
    assert "--benchmark QQQ: no such symbol; the symbols are SPX, NDX" in _error(
        capsys, str(EXAMPLES / "two_indices.flow"), "--benchmark", "QQQ")


# ---- --quiet and --verbose -------------------------------------------------------------------


def test_quiet_prints_nothing(capsys, tmp_path):
    capsys.readouterr()
    assert main(["run", SIMPLE, "--quiet", "--out", str(tmp_path / "r")]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert (tmp_path / "r" / "metrics.json").is_file()


def test_verbose_prints_every_stage(capsys, tmp_path):
    capsys.readouterr()
    assert main(["run", SIMPLE, "--verbose", "--start", START, "--out", str(tmp_path / "r")]) == 0
    captured = capsys.readouterr()
    stages = [line.split(":")[1].strip() for line in captured.err.splitlines() if line.startswith("flowc: ")]
    if "machine code" in stages:  # the compiled engine answered: where its machine code came from
        assert stages.index("machine code") == 7
        stages.remove("machine code")
    assert stages[:8] == ["parse, analyse and lint", "plan", "load", "range", "data `SPX`", "engine", "run",
                          "summary"]
    assert stages[8].startswith("wrote metrics.json, equity.csv, trades.csv, orders.csv, fills.csv")
    assert stages[8].endswith(f"and manifest.json to {tmp_path / 'r'}") and len(stages) == 9
    assert "29 steps of warm-up from 2004-11-19" in captured.err
    assert "final_equity" in captured.out  # the table still prints


# ---- --trace STEP ----------------------------------------------------------------------------


def test_trace_prints_the_events_of_one_step(capsys, full):
    step = int(full.ledger.orders["step"][0])  # the first order; it fills at the next open
    capsys.readouterr()
    assert main(["run", SIMPLE, "--trace", str(step)]) == 0
    out = capsys.readouterr().out.splitlines()
    close = full.market.close[step, 0]
    assert out[0] == f"step {step}  {str(full.market.timestamps[step])[:19]}"
    events = [line.split()[:3] for line in out[1:-1]]
    assert events == [["data", "BAR", "SPX"], ["features", "FEATURE", "SPX"], ["strategy", "SIGNAL", "SPX"],
                      ["risk", "ORDER", "SPX"], ["portfolio", "PORTFOLIO", "SPX"]]
    assert f"close={close:.10g}" in out[1] and out[1].endswith("-> features, strategy, risk, execution, portfolio")
    assert "quantity=100" in out[4] and out[5].endswith(f"-> risk (at step {step + 1})")
    assert out[-1] == f"5 events at step {step}"

    assert main(["run", SIMPLE, "--trace", str(step + 1)]) == 0
    fill = [line for line in capsys.readouterr().out.splitlines() if " FILL " in line]
    assert len(fill) == 1 and f"price={full.market.open[step + 1, 0]:.10g}" in fill[0]


def test_trace_counts_steps_from_the_start(capsys, ranged):
    capsys.readouterr()
    assert main(["run", SIMPLE, "--start", START, "--trace", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"step 0  {START}T00:00:00  (step 29 of the data, 29 before it warm up)")
    assert " ORDER " in out  # trading starts at once on warmed-up signals
    assert "the run has steps 0 to 5030" in _error(capsys, SIMPLE, "--trace", "5031")
