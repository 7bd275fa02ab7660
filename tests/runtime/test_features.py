"""`flowc run --features` and `Backtest.features`: every FEATURE, REGIME and SIGNAL series per symbol.

The series come from a reference run; where the compiled program keeps a container's outputs
for every step (the hoisted prefix, with `signals`), they are the same bits.
"""

import json

import numpy as np
import pandas as pd
import pytest

from flowc.compiler.codegen.layout import layout
from flowc.runtime import features
from flowc.runtime.manager import prepare, run_prepared
from flowc.tools.api import backtest
from flowc.tools.cli import main
from tests.conftest import EXAMPLES

FULL = str(EXAMPLES / "full_backtest.flow")


@pytest.mark.parametrize("example", ["simple_backtest.flow", "full_backtest.flow", "two_indices.flow"])
def test_the_reference_series_are_the_compiled_programs_bits(example):
    series = features.compute(prepare(EXAMPLES / example))  # nothing compiled in this Prepared: a reference run
    assert series.source == "reference"
    prepared = prepare(EXAMPLES / example)
    ledger = run_prepared(prepared, signals=True)  # keeps the hoisted prefix's outputs of every step
    assert series.values.shape == (prepared.market.n_steps, prepared.market.n_symbols, len(series.columns))
    arrays = prepared.program.prefix.arrays
    local = layout(prepared.plan).local
    compared = 0
    for node in prepared.plan.nodes:
        if not node.hoisted or node.path in local or f"out_{node.ident}" not in arrays:
            continue
        present = arrays[f"pres_{node.ident}"]
        for j, field in enumerate(node.fields):
            mine = series.values[:, :, series.columns.index(f"{node.path}:{field}")]
            assert np.array_equal(np.isnan(mine), ~present | np.isnan(arrays[f"out_{node.ident}"][:, :, j]))
            assert np.array_equal(mine[present], arrays[f"out_{node.ident}"][:, :, j][present], equal_nan=True)
            compared += 1
    for path, (present, direction, strength) in ledger.signals.items():
        mine = {f: series.values[:, :, series.columns.index(f"{path}:{f}")] for f in ("direction", "strength")}
        assert np.array_equal(mine["direction"][present], direction[present])
        assert np.array_equal(mine["strength"][present], strength[present])
        assert np.isnan(mine["direction"][~present]).all()
        compared += 1
    assert compared >= 2
    # where the compiled program keeps every series, they are read from it: the same frames
    compiled = features.compute(prepared)
    assert compiled.source == ("compiled" if features.kept_by_program(prepared, features.columns(prepared)[0])
                               else "reference")
    assert compiled.columns == series.columns
    assert np.array_equal(compiled.values, series.values, equal_nan=True)


def test_the_program_answers_when_it_keeps_every_series():
    prepared = prepare(FULL, start="2010-01-01")
    run_prepared(prepared)
    assert features.kept_by_program(prepared, features.columns(prepared)[0])
    compiled = features.compute(prepared)
    reference = features.compute(prepare(FULL, start="2010-01-01"))
    assert (compiled.source, reference.source) == ("compiled", "reference")
    for symbol in compiled.symbols:
        pd.testing.assert_frame_equal(compiled.frame(symbol), reference.frame(symbol))


def test_every_declared_feature_is_kept_even_one_nothing_reads(tmp_path):
    flow = (EXAMPLES / "simple_backtest.flow").read_text().replace(
        "slow_ma = sma(close, slow)", "slow_ma = sma(close, slow)\n            spare = ema(close, 5)")
    path = tmp_path / "spare.flow"
    path.write_text(flow)
    prepared = prepare(path)
    run_prepared(prepared)  # compiled, but the optimiser dropped `spare`: the reference answers
    series = features.compute(prepared)
    assert series.source == "reference"
    assert series.columns == ["features:fast_ma", "features:slow_ma", "features:spare", "strategy:direction",
                              "strategy:strength"]
    assert np.isfinite(series.values[-1, 0, 2])


def test_flowc_run_features_writes_one_file_per_symbol(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(EXAMPLES / "two_indices.flow"), "--out", str(out), "--features", "--quiet",
                 "--start", "2010-01-01"]) == 0
    index = json.loads((out / "features" / "index.json").read_text())
    assert index["format"] == "parquet" and index["symbols"] == {"SPX": "SPX.parquet", "NDX": "NDX.parquet"}
    assert [c["name"] for c in index["columns"]] == ["features:fast_ma", "features:slow_ma", "strategy:direction",
                                                     "strategy:strength"]
    assert index["columns"][0] == {"name": "features:fast_ma", "container": "features", "field": "fast_ma",
                                   "role": "feature"}
    frame = pd.read_parquet(out / "features" / "NDX.parquet")
    equity = pd.read_csv(out / "equity.csv", index_col="timestamp", parse_dates=True)
    assert frame.index[0] == equity.index[0] == pd.Timestamp("2010-01-04")  # from --start, as every output
    assert frame["step"].iloc[0] == 0 and list(frame.columns[1:]) == [c["name"] for c in index["columns"]]
    api = backtest(EXAMPLES / "two_indices.flow", start="2010-01-01", engine="reference").features["NDX"]
    pd.testing.assert_frame_equal(frame, api, check_freq=False)
    # a run without --features replaces the folder's set: no stale series are left behind
    assert main(["run", str(EXAMPLES / "two_indices.flow"), "--out", str(out), "--quiet"]) == 0
    assert not (out / "features").exists()


def test_csv_without_pyarrow(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(features, "has_parquet", lambda: False)
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["run", FULL, "--out", str(out), "--features"]) == 0
    assert "features/ written as CSV; for Parquet: pip install 'flowc[parquet]'" in capsys.readouterr().err
    frame = pd.read_csv(out / "features" / "SPX.csv", index_col="timestamp")
    assert frame.index[0] == "1999-01-04" and "classifier:regime" in frame.columns
    assert json.loads((out / "features" / "index.json").read_text())["format"] == "csv"
    parquet = features.compute(prepare(FULL)).frame("SPX")
    assert np.array_equal(frame.drop(columns="step").to_numpy(), parquet.drop(columns="step").to_numpy(),
                          equal_nan=True)  # CSV keeps every bit (shortest round-trip text)


def test_features_need_out_and_a_single_run(tmp_path, capsys):
    capsys.readouterr()
    assert main(["run", FULL, "--features"]) == 2
    assert "--features writes features/ into the output folder: add --out DIR" in capsys.readouterr().err
    assert main(["run", str(EXAMPLES / "sma_grid.flow"), "--features", "--out", str(tmp_path / "o")]) == 2
    assert "--features writes the feature series of a single run; sweeps have none yet" in capsys.readouterr().err


def test_file_names_are_safe_and_distinct():
    assert features.file_names(("BRK/B", "BRK_B", "brk_b", "^GSPC", "..")) == {
        "BRK/B": "BRK_B", "BRK_B": "BRK_B_2", "brk_b": "brk_b_3", "^GSPC": "_GSPC", "..": "symbol"}


def test_the_api_saves_them_too(tmp_path):
    bt = backtest(FULL, engine="reference")
    assert list(bt.features) == ["SPX"] and bt.features["SPX"].index.name == "timestamp"
    bt.save(tmp_path / "out", features=True)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "features" / "SPX.parquet"),
                                  bt.features["SPX"], check_freq=False)
