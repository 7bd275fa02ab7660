"""The pandas oracle reproduces the published `simple_backtest` result, and the numba baseline the oracle."""

from __future__ import annotations

import importlib.util
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .sma_pandas import simple_backtest_oracle

# examples/README.md: computed independently with pandas and backtrader.
PUBLISHED_FINAL_EQUITY = 1_029_847.7583013
PUBLISHED_TRADES = 88
PUBLISHED_FILLS = 176


@pytest.fixture(scope="module")
def sp500() -> pd.DataFrame:
    path = resources.files("flowc.runtime").joinpath("sample_data", "sp500.csv")
    with resources.as_file(path) as csv:
        return pd.read_csv(csv)


@pytest.fixture(scope="module")
def baselines():
    """benchmarks/baselines.py, loaded by path (benchmarks/ is a folder of scripts, not a package)."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "baselines.py"
    spec = importlib.util.spec_from_file_location("flowc_benchmark_baselines", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # numba's cache finds a cached function's module by name
    spec.loader.exec_module(module)
    return module


def test_oracle_reproduces_the_published_result(sp500):
    result = simple_backtest_oracle(sp500, fast=10, slow=30)
    assert result["final_equity"] == pytest.approx(PUBLISHED_FINAL_EQUITY, abs=1e-6)
    assert result["trades"] == PUBLISHED_TRADES
    assert result["fills"] == PUBLISHED_FILLS
    assert result["position"] == 0.0
    assert len(result["equity"]) == len(sp500)
    assert result["equity"].iloc[-1] == result["final_equity"]


def test_oracle_does_not_look_ahead(sp500):
    """Equity up to bar k is the same whether or not the bars after k exist."""
    full = simple_backtest_oracle(sp500, fast=10, slow=30)["equity"].to_numpy()
    for k in (40, 777, 2500):
        cut = simple_backtest_oracle(sp500.iloc[: k + 1], fast=10, slow=30)["equity"].to_numpy()
        np.testing.assert_array_equal(cut, full[: k + 1])


def test_oracle_is_flat_and_at_cash_before_the_slow_window_fills(sp500):
    equity = simple_backtest_oracle(sp500, fast=10, slow=30)["equity"].to_numpy()
    assert np.all(equity[:30] == 1e6)  # first decision at bar 29, first possible fill at bar 30


def test_numba_baseline_matches_the_oracle_bit_for_bit(sp500, baselines):
    oracle = simple_backtest_oracle(sp500, fast=10, slow=30)
    final, trades, fills, equity = baselines.sma_crossover_nb(
        sp500["open"].to_numpy(), sp500["close"].to_numpy(), 10, 30, 100.0, 0.1, 1e6
    )
    assert final == pytest.approx(PUBLISHED_FINAL_EQUITY, abs=1e-6)
    assert (trades, fills) == (PUBLISHED_TRADES, PUBLISHED_FILLS)
    np.testing.assert_array_equal(equity, oracle["equity"].to_numpy())


@pytest.mark.parametrize(("fast", "slow"), [(5, 20), (20, 90), (10, 50)])
def test_numba_baseline_matches_the_oracle_on_other_windows(sp500, baselines, fast, slow):
    oracle = simple_backtest_oracle(sp500, fast=fast, slow=slow)
    final, trades, fills, _ = baselines.sma_crossover_nb(
        sp500["open"].to_numpy(), sp500["close"].to_numpy(), fast, slow, 100.0, 0.1, 1e6
    )
    assert final == pytest.approx(oracle["final_equity"], abs=1e-6)
    assert (trades, fills) == (oracle["trades"], oracle["fills"])


def test_python_baseline_matches_the_numba_baseline(sp500, baselines):
    args = (sp500["open"].to_numpy(), sp500["close"].to_numpy(), 10, 30)
    compiled = baselines.sma_crossover_nb(*args, 100.0, 0.1, 1e6)
    interpreted = baselines.sma_crossover_python(*args)
    assert interpreted[:3] == compiled[:3]
    np.testing.assert_array_equal(interpreted[3], compiled[3])
