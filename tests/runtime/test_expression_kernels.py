"""The expression operators (`runtime/kernels/expressions.py`) against pandas, hand-checked cases and
the reference engine's own implementation, bit for bit, on series with gaps.

Each kernel is driven call by call over a whole series, the way the step loop calls it, with a
fresh zero state sized by its contract (`per * int(n) + extra`).
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowc.compiler import components
from flowc.dsl.diagnostics import FlowError
from flowc.runtime import reference
from flowc.runtime.kernels import expressions

CONTRACTS = {c.name: c for c in components.OPERATORS}
N = 300


def state_for(name: str, n: float | None) -> np.ndarray:
    sizing = CONTRACTS[name].state
    return np.zeros(sizing.extra + (sizing.per * int(n) if sizing.arg else 0))


def drive(name: str, *series: np.ndarray, n: float | None = None) -> np.ndarray:
    """The compiled kernel, once per call: the series, then the window if any."""
    kernel, state = expressions.KERNELS[name], state_for(name, n)
    tail = () if n is None else (float(n),)
    return np.array([kernel(state, *(float(s[t]) for s in series), *tail) for t in range(len(series[0]))])


def drive_reference(name: str, *series: np.ndarray, n: float | None = None) -> np.ndarray:
    component = reference.COMPONENTS[name]()
    tail = () if n is None else (float(n),)
    return np.array([component(*(float(s[t]) for s in series), *tail) for t in range(len(series[0]))])


def gappy(seed: int, scale: float = 1.0, holes: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02 * scale, N)))
    x[:3] = np.nan
    x[rng.uniform(size=N) < holes] = np.nan
    return x


def signed(seed: int) -> np.ndarray:
    """Values around 0 with gaps, exact zeros and repeats (ties for rank, min, max, crosses)."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(0.0, 1.0, N), 1)
    x[rng.uniform(size=N) < 0.1] = np.nan
    return x


def identical(actual: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    ok = ~np.isnan(actual)
    assert (actual[ok] == expected[ok]).all()


def close_to(actual: np.ndarray, expected: pd.Series | np.ndarray, rtol: float = 1e-9) -> None:
    expected = np.asarray(expected, dtype=float)
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-12)


# ---- against pandas and numpy ----


@pytest.mark.parametrize("n", [1, 2, 7])
def test_lags_are_pandas_shift(n):
    x = pd.Series(gappy(1))
    identical(drive("shift", x.values, n=n), x.shift(n).values)
    identical(drive("diff", x.values, n=n), (x - x.shift(n)).values)
    identical(drive("pct_change", x.values, n=n), (x / x.shift(n) - 1.0).values)


def test_arithmetic_follows_numpy_with_undefined_outside_the_domain():
    x = signed(2)
    with np.errstate(all="ignore"):
        identical(drive("log", x), np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan))
        identical(drive("sqrt", x), np.where(x >= 0, np.sqrt(np.abs(x)), np.nan))
        close_to(drive("exp", x * 300), np.exp(x * 300), rtol=1e-15)  # overflows to inf; numpy's SIMD exp may
        # differ from libm's in the last bit, so the engines are held to each other below, not to numpy
    identical(drive("abs", x), np.abs(x))
    identical(drive("sign", x), np.sign(x))


def test_min_max_clip_where():
    a, b, c = signed(3), signed(4), signed(5)
    identical(drive("min", a, b), np.minimum(a, b))
    identical(drive("max", a, b), np.maximum(a, b))
    identical(drive("clip", a, b - 1.0, b + 1.0), np.minimum(np.maximum(a, b - 1.0), b + 1.0))
    truthy = (c == c) & (c != 0.0)
    identical(drive("where", c, a, b), np.where(truthy, a, b))


@pytest.mark.parametrize("n", [1, 5, 20])
def test_rolling_sum_and_rank_are_pandas_rolling(n):
    x = pd.Series(gappy(6))
    close_to(drive("sum", x.values, n=n), x.rolling(n).sum())
    ties = pd.Series(signed(7))
    identical(drive("rank", ties.values, n=n), ties.rolling(n).rank(pct=True, method="max").values)


@pytest.mark.parametrize("n", [2, 5, 20])
def test_cov_and_corr_are_pandas_rolling(n):
    a, b = pd.Series(gappy(8)), pd.Series(gappy(9))
    close_to(drive("cov", a.values, b.values, n=n), a.rolling(n).cov(b), rtol=1e-8)
    close_to(drive("corr", a.values, b.values, n=n), a.rolling(n).corr(b), rtol=1e-8)


def test_corr_is_undefined_for_a_flat_window():
    flat = np.full(10, 3.0)
    assert np.isnan(drive("corr", flat, np.arange(10.0), n=4)).all()
    assert (drive("cov", flat, np.arange(10.0), n=4)[3:] == 0.0).all()


def test_crosses_fire_on_the_call_of_the_cross_only():
    a = pd.Series(signed(10))
    b = pd.Series(signed(11))
    above = (a > b) & (a.shift(1) <= b.shift(1))
    below = (a < b) & (a.shift(1) >= b.shift(1))
    identical(drive("cross_above", a.values, b.values), above.astype(float).values)
    identical(drive("cross_below", a.values, b.values), below.astype(float).values)
    assert list(drive("cross_above", np.array([1.0, 2.0, 3.0, 1.0, 5.0]), np.full(5, 2.5))) == [0, 0, 1, 0, 1]
    assert list(drive("cross_above", np.array([1.0, np.nan, 3.0]), np.full(3, 2.0))) == [0, 0, 0]


def test_hold_latches_until_another_condition_with_flat_first():
    long = np.array([0, 1, 0, 0, 1, 1, np.nan, 0, 0])
    short = np.array([0, 0, 0, 1, 0, 1, 0, 0, 0])
    flat = np.array([0, 0, 0, 0, 0, 1, 0, 1, 0])
    assert list(drive("hold", long, short, flat)) == [0, 1, 1, -1, 1, 0, 0, 0, 0]


def test_bar_index_counts_calls():
    assert list(drive("bar_index", np.array([1.0, np.nan, 3.0]))) == [0, 1, 2]


# ---- calendar fields ----


def stamps(seed: int) -> np.ndarray:
    """Increasing timestamps in whole seconds, 1890 to 2150: minutes to weeks apart, and runs of equal days."""
    rng = np.random.default_rng(seed)
    gaps = rng.choice([60, 3600, 6 * 3600, 86400, 3 * 86400, 8 * 86400, 40 * 86400], size=N)
    start = rng.integers(-2_500_000_000, 5_000_000_000)
    return (start + np.cumsum(gaps)).astype(np.float64)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_calendar_fields_are_pandas(seed):
    time = stamps(seed)
    when = pd.Series(pd.to_datetime(time.astype(np.int64), unit="s"))
    for name, expected in (("year", when.dt.year), ("month", when.dt.month), ("day", when.dt.day),
                           ("weekday", when.dt.day_of_week), ("hour", when.dt.hour), ("minute", when.dt.minute)):
        identical(drive(name, time), expected.to_numpy(dtype=float))
    iso = when.dt.isocalendar()
    for name, key in (("new_day", when.dt.normalize()), ("new_week", iso["year"] * 100 + iso["week"]),
                      ("new_month", when.dt.year * 100 + when.dt.month), ("new_year", when.dt.year)):
        changed = (key != key.shift(1)).to_numpy(dtype=float)
        changed[0] = 0.0
        identical(drive(name, time), changed)


def test_a_new_period_is_decided_from_this_bar_and_the_previous_one():
    monday, sunday = 1704067200.0, 1704067200.0 + 6 * 86400  # 2024-01-01 (a Monday), 2024-01-07
    assert list(drive("new_week", np.array([sunday, sunday + 86400, sunday + 2 * 86400]))) == [0, 1, 0]
    assert list(drive("new_year", np.array([monday - 60, monday, monday + 60]))) == [0, 1, 0]
    assert list(drive("new_day", np.array([monday]))) == [0]


# ---- the reference engine's implementation, bit for bit ----


def _inputs(name: str, seed: int) -> tuple[np.ndarray, ...]:
    series = sum(a.kind is components.Kind.SERIES for a in CONTRACTS[name].args) + len(CONTRACTS[name].reads)
    if CONTRACTS[name].reads == (components.TIME,):
        return (stamps(seed),)
    if name == "hold":
        x = signed(seed)
        return (x > 0.5).astype(float), (x < -0.5).astype(float), np.where(np.abs(x) < 0.1, x, 0.0)
    return tuple((gappy(seed + k, holes=0.15) if name in ("log", "pct_change", "corr", "cov") else signed(seed + k))
                 for k in range(series))


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(sorted(expressions.KERNELS)), seed=st.integers(0, 2**32 - 20), n=st.integers(1, 25))
def test_the_kernels_are_the_reference_bit_for_bit(name, seed, n):
    windowed = any(a.kind is components.Kind.WINDOW for a in CONTRACTS[name].args)
    if windowed and name in ("cov", "corr"):
        n = max(n, 2)
    series = _inputs(name, seed)
    window = float(n) if windowed else None
    identical(drive(name, *series, n=window), drive_reference(name, *series, n=window))


@pytest.mark.parametrize("name", ["log", "exp", "sqrt"])
def test_the_transcendental_operators_are_the_reference_bit_for_bit(name):
    rng = np.random.default_rng(12)
    x = np.concatenate([rng.normal(0.0, 5.0, 5000), np.exp(rng.normal(0.0, 10.0, 5000)), [0.0, -0.0, 710.0, -800.0]])
    identical(drive(name, x), drive_reference(name, x))


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(expressions.KERNELS)), seed=st.integers(0, 2**32 - 20), n=st.integers(2, 25),
       k=st.integers(0, N - 2))
def test_no_operator_looks_ahead(name, seed, n, k):
    """Changing every input after call k never changes an output up to k."""
    windowed = any(a.kind is components.Kind.WINDOW for a in CONTRACTS[name].args)
    series = _inputs(name, seed)
    later = tuple(s.copy() for s in series)
    rng = np.random.default_rng(seed)
    for s in later:
        s[k + 1:] = s[k + 1:] + rng.normal(0.0, 1.0, N - k - 1) * (3600.0 if name in _CALENDAR else 1.0)
        if name in _CALENDAR:
            s[k + 1:] = np.maximum.accumulate(np.round(s[k + 1:]))
    window = float(n) if windowed else None
    identical(drive(name, *series, n=window)[: k + 1], drive(name, *later, n=window)[: k + 1])
    identical(drive_reference(name, *series, n=window)[: k + 1], drive_reference(name, *later, n=window)[: k + 1])


_CALENDAR = {c.name for c in components.OPERATORS if c.reads == (components.TIME,)}


def test_every_operator_has_both_implementations():
    assert set(expressions.KERNELS) == set(CONTRACTS) <= set(reference.COMPONENTS)
    assert all(CONTRACTS[name].kernel.endswith(f"expressions:{name}_nb") for name in CONTRACTS)


# ---- a lag below 1 never runs (FL512) ----


FLOW = """
param lag: int = 2
containers c { backtest: backtest {
    data: data { source = synthetic(bars = 50, symbols = 1, seed = 1) }
    features: feature { prev = LAG }
    strategy: strategy { signal = crossover(close, prev) }
    risk: risk { size = fixed(1) }
    execution: execution { fill = next_open() }
    portfolio: portfolio { cash = 1000 }
} }
communication w {
    pipeline data -> features -> strategy -> risk -> execution -> portfolio
    broadcast data -> strategy, execution, portfolio : BAR
}
workflow w { containers = c; communication = w }
"""


@pytest.mark.parametrize("call", ["shift(close, 0)", "shift(close, -1)", "diff(close, -2)", "pct_change(close, 0)"])
def test_a_literal_lag_below_one_is_a_compile_time_error(call):
    from flowc.compiler.workflow import analyse
    from flowc.dsl.loader import load_text

    analysis = analyse(load_text(FLOW.replace("LAG", call), "lag.flow"))
    assert "FL512" in {d.code for d in analysis.diagnostics}


@pytest.mark.parametrize("lag", [0, -3])
def test_a_param_lag_below_one_is_refused_before_the_run(tmp_path, lag):
    from flowc.runtime.manager import prepare, run_prepared

    path = tmp_path / "lag.flow"
    path.write_text(FLOW.replace("LAG", "shift(close, lag)"))
    prepared = prepare(path)
    for engine in ("compiled", "reference"):
        with pytest.raises(FlowError, match="FL512"):
            run_prepared(prepared, {"lag": lag}, engine=engine)
    assert math.isfinite(run_prepared(prepared, {"lag": 1}).equity[-1, 0])


def test_cov_and_corr_stay_inside_a_row_shorter_than_their_window():
    """A ring cut to the data's length (fewer slots than n): never written past, and never defined."""
    a, b = gappy(13, holes=0.0), gappy(14, holes=0.0)
    for name in ("cov", "corr"):
        memory = np.full(3 + 2 * 10 + 5, 7.0)  # a row of 10 slots a ring, and 5 guard values after it
        memory[:3 + 2 * 10] = 0.0
        row = memory[:3 + 2 * 10]
        out = [expressions.KERNELS[name](row, float(x), float(y), 50.0) for x, y in zip(a[:40], b[:40], strict=True)]
        assert np.isnan(out).all() and (memory[-5:] == 7.0).all()
