"""The summary's kernels interpreted give the same bits as compiled (`runtime/interpret.py`)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from flowc.runtime import tiers
from flowc.runtime.interpret import in_process, interpreted
from flowc.runtime.metrics import ledger_metrics_nb, metrics_nb, sum_nb
from flowc.runtime.trades import trades_nb


def _same(a, b) -> None:
    """Equal to the bit, NaN included, element by element (tuples of arrays, arrays or scalars)."""
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert a.tobytes() == b.tobytes()


@st.composite
def ledgers(draw):
    steps = draw(st.integers(1, 300))
    n_symbols = draw(st.integers(1, 3))
    n_portfolios = draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    equity = 1e6 * np.cumprod(1.0 + rng.normal(0, 0.01, (steps, n_portfolios)), axis=0)
    if draw(st.booleans()):
        equity[rng.integers(0, steps)] = equity[0]  # flat stretches and repeated values
    n_fills = draw(st.integers(0, 40))
    fill_step = np.sort(rng.integers(0, steps, n_fills)).astype(np.int64)
    fill_symbol = rng.integers(0, n_symbols, n_fills).astype(np.int64)
    fill_q = rng.choice([-3.0, -1.0, 1.0, 2.0, 5.0], n_fills)
    fill_price = rng.uniform(50, 150, n_fills)
    fill_commission = rng.uniform(0, 1, n_fills)
    fill_portfolio = rng.integers(0, n_portfolios, n_fills).astype(np.int64)
    fill_risk = rng.integers(0, draw(st.integers(1, 2)), n_fills).astype(np.int64)
    exposed = rng.random(steps) < 0.5
    timestamps = (np.arange(steps, dtype=np.int64) * 86_400_000_000) + 10**15
    cash0 = np.full(n_portfolios, 1e6)
    periods = draw(st.sampled_from([252.0, np.nan]))
    multiplier = rng.choice([1.0, 50.0, 0.25], n_symbols)  # stocks and futures contracts
    return (equity, exposed, cash0, fill_step, fill_symbol, fill_q, fill_price, fill_commission, fill_portfolio,
            fill_risk, timestamps, periods, steps * n_symbols, n_symbols, multiplier)


@settings(max_examples=40, deadline=None)
@given(ledgers())
def test_ledger_metrics_interpreted_equal_compiled(ledger):
    _same(interpreted(ledger_metrics_nb)(*ledger), ledger_metrics_nb(*ledger))


@settings(max_examples=40, deadline=None)
@given(ledgers())
def test_trades_interpreted_equal_compiled(ledger):
    _, _, _, step, symbol, q, price, commission, _, _, _, _, _, n_symbols, multiplier = ledger
    _same(interpreted(trades_nb)(step, symbol, q, price, commission, n_symbols, multiplier),
          trades_nb(step, symbol, q, price, commission, n_symbols, multiplier))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=400), st.sampled_from([252.0, np.nan]))
def test_metrics_and_sums_interpreted_equal_compiled(values, periods):
    equity = np.abs(np.array(values, dtype=np.float64)) + 1.0
    n = len(equity)
    trades = equity[: n // 3] - 10.0
    args = (equity, np.arange(n, dtype=np.int64) * 86_400_000_000, 1e6, trades, trades / 1e3, np.ones(len(trades)),
            np.arange(len(trades), dtype=np.float64)[::-1].copy(), equity[: n // 2], np.ones(n, dtype=np.bool_),
            periods, n, n, 1)
    _same(interpreted(metrics_nb)(*args), metrics_nb(*args))
    _same(interpreted(sum_nb)(equity), sum_nb(equity))
    if n:  # an empty sum is -0.0 here (the identity that keeps the sign of one value), 0.0 in numpy
        _same(sum_nb(equity), np.sum(equity))


def test_a_recursive_kernel_calls_its_own_interpreted_form():
    run = interpreted(sum_nb)
    assert "sum_nb" in run.__wrapped__.__globals__ and run.__wrapped__.__globals__["sum_nb"] is run


def test_the_compiled_kernel_answers_once_loaded_or_for_large_work():
    none = np.ones(0)
    metrics_nb(np.ones(3), np.arange(3, dtype=np.int64), 1.0, none, none, none, none, none, np.ones(3, np.bool_),
               np.nan, 3, 3, 1)
    assert in_process(metrics_nb) and tiers.kernel_form(metrics_nb, 1) is metrics_nb
    assert tiers.kernel_form(trades_nb, 10**9) is trades_nb  # interpreting would outlast any compile
