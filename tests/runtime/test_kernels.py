"""The feature, classifier and strategy kernels against pandas and hand-checked cases.

Each kernel is driven bar by bar over a whole series, the way the step loop
calls it, with a fresh zero state sized by its contract in `flowc.compiler.components`.
"""

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowc.compiler import components
from flowc.runtime.kernels import expressions, features, signals

KERNELS = {**features.KERNELS, **signals.KERNELS}
CONTRACTS = {c.name: c for c in components.BUILTIN if c.kernel and c not in components.OPERATORS}
# the expression operators have their own tests (test_expression_kernels.py)
STATE_SIZE = {name: (c.state.arg, c.state.extra) for name, c in CONTRACTS.items()}
WARMUP = {name: (c.warmup.arg, c.warmup.extra) for name, c in CONTRACTS.items()}
N = 400


def _resolve(entry: tuple[str | None, int], args: dict[str, float]) -> int:
    arg, k = entry
    return k if arg is None else int(args[arg]) + k


def drive(name: str, *series: np.ndarray, **params: float) -> np.ndarray:
    """Call kernel `name` once per bar: the series (BAR fields, then inputs), then the parameters."""
    kernel = KERNELS[name]
    state = np.zeros(_resolve(STATE_SIZE[name], params))
    args = tuple(float(v) for v in params.values())
    out = np.empty(len(series[0]))
    for t in range(len(out)):
        out[t] = kernel(state, *(float(s[t]) for s in series), *args)
    return out


def walk(seed: int, n: int = N) -> np.ndarray:
    """A price-like geometric random walk around 100."""
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))


def with_gaps(x: np.ndarray, lead: int = 5, holes: tuple[int, ...] = (60, 61, 200)) -> np.ndarray:
    """x with its first `lead` values and a few in the middle undefined."""
    y = x.copy()
    y[:lead] = np.nan
    y[list(holes)] = np.nan
    return y


def ohlc(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 1000)
    close = walk(seed)
    high = close * (1.0 + np.abs(rng.normal(0.0, 0.005, N)))
    low = close * (1.0 - np.abs(rng.normal(0.0, 0.005, N)))
    return high, low, close


def assert_same(actual: np.ndarray, expected: pd.Series | np.ndarray, rtol: float) -> None:
    """Same NaN positions, values within rtol."""
    expected = np.asarray(expected, dtype=float)
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0.0)


def params_for(name: str, n: float) -> dict[str, float]:
    """Arguments after the one series input: a window n, or constants around a price of 100."""
    constants = {
        "threshold_regime": {"level": 100.0},
        "mean_reversion": {"low": 99.0, "high": 101.0},
        "crossover": {"b": 100.0},
        "returns": {},
    }
    return constants.get(name, {"n": n})


SERIES = [walk(1), with_gaps(walk(2))]
IDS = ["clean", "gaps"]


# ---------------------------------------------------------------- tables


def test_every_contract_with_a_kernel_has_one() -> None:
    assert KERNELS.keys() == CONTRACTS.keys()
    assert expressions.KERNELS.keys() == {c.name for c in components.OPERATORS}
    for name, kernel in {**KERNELS, **expressions.KERNELS}.items():
        assert kernel.__name__ == f"{name}_nb"


@pytest.mark.parametrize("name", sorted(c.name for c in CONTRACTS.values() if c.step))
def test_the_step_form_takes_and_returns_the_counters_the_contract_names(name: str) -> None:
    """Driven with its counters in locals, as the hoisted prefix does, it equals the memory form bit for bit."""
    contract = CONTRACTS[name]
    module, function = contract.step.split(":")
    step = getattr(features if module.endswith("features") else signals, function)
    params = params_for(name, 5.0)
    series = [with_gaps(walk(4))] * (len(contract.reads) + sum(a.kind == components.Kind.SERIES for a in contract.args))
    state = np.zeros(_resolve(STATE_SIZE[name], params))
    counters = tuple(state[: contract.registers])
    out = np.empty(N)
    for t in range(N):
        out[t], *rest = step(state, *counters, *(float(s[t]) for s in series), *map(float, params.values()))
        counters = tuple(rest)
    assert len(counters) == contract.registers
    np.testing.assert_array_equal(out, drive(name, *series, **params))


def _forms(contract: components.Component) -> tuple[Callable, Callable]:
    return tuple(getattr(features, f.split(":")[1]) for f in (contract.step, contract.bar_step))


@pytest.mark.parametrize("name", sorted(c.name for c in CONTRACTS.values() if c.bar_step))
@pytest.mark.parametrize("n", [0.0, 1.0, 2.0, 5.0, 30.0, 2.0 * N])
@pytest.mark.parametrize("x", SERIES, ids=IDS)
def test_the_bar_form_reads_the_field_where_the_ring_would(name: str, n: float, x: np.ndarray) -> None:
    """Called at every step with the series as a column of a `[T, S]` field, it equals the step form bit
    for bit: undefined values, a window under 1 and one longer than the data (whose ring the executor
    cuts to the steps, `buffer_shape`) included."""
    assert_bar_form_is_the_step_form(CONTRACTS[name], x, n)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=40),
       st.integers(1, 8))
def test_the_bar_form_of_sma_on_any_floats(values: list[float], n: int) -> None:
    assert_bar_form_is_the_step_form(CONTRACTS["sma"], np.array(values), float(n))


def assert_bar_form_is_the_step_form(contract: components.Component, x: np.ndarray, n: float) -> None:
    step, bar_step = _forms(contract)
    field = np.stack([np.full(len(x), -1.0), x, np.full(len(x), 7.0)], axis=1)  # the symbol's column, s = 1
    state = np.zeros(3 + max(0, min(int(n), len(x))))
    counters = tuple(state[: contract.registers])
    bar_counters = counters[1:]  # not the ring's position
    with np.errstate(all="ignore"):
        for t in range(len(x)):
            expected, *rest = step(state, *counters, float(x[t]), n)
            got, *bar_rest = bar_step(field, np.uint64(t), 1, *bar_counters, n)
            counters, bar_counters = tuple(rest), tuple(bar_rest)
            np.testing.assert_array_equal(np.array([got, *bar_counters]), np.array([expected, *counters[1:]]))


@pytest.mark.parametrize("name", sorted(set(KERNELS) - {"atr", "breakout"}))
def test_warmup_matches_the_leading_undefined_bars(name: str) -> None:
    params = params_for(name, 7.0)
    out = drive(name, walk(3), **params)
    warm = _resolve(WARMUP[name], params)
    assert np.isnan(out[:warm]).all()
    assert not np.isnan(out[warm])


@pytest.mark.parametrize("name", ["atr", "breakout"])
def test_warmup_of_bar_readers(name: str) -> None:
    high, low, close = ohlc(4)
    out = drive("atr", high, low, close, n=7.0) if name == "atr" else drive("breakout", close, n=7.0)
    assert np.isnan(out[:7]).all() and not np.isnan(out[7])


# ---------------------------------------------------------------- features vs pandas


@pytest.mark.parametrize("x", SERIES, ids=IDS)
@pytest.mark.parametrize("n", [1, 5, 20])
def test_sma(x: np.ndarray, n: int) -> None:
    assert_same(drive("sma", x, n=n), pd.Series(x).rolling(n).mean(), rtol=1e-12)


@pytest.mark.parametrize("x", SERIES, ids=IDS)
@pytest.mark.parametrize("n", [2, 5, 20])
def test_stdev(x: np.ndarray, n: int) -> None:
    assert_same(drive("stdev", x, n=n), pd.Series(x).rolling(n).std(ddof=1), rtol=1e-9)


@pytest.mark.parametrize("x", SERIES, ids=IDS)
@pytest.mark.parametrize("n", [2, 14])
def test_zscore(x: np.ndarray, n: int) -> None:
    s = pd.Series(x)
    expected = (s - s.rolling(n).mean()) / s.rolling(n).std(ddof=1)
    assert_same(drive("zscore", x, n=n), expected, rtol=1e-7)


def test_zscore_is_undefined_where_the_window_is_flat() -> None:
    out = drive("zscore", np.array([2.0, 2.0, 2.0, 3.0]), n=3)
    assert np.isnan(out[:3]).all()  # warm-up, then a flat window
    assert out[3] == pytest.approx((3.0 - 7.0 / 3.0) / np.std([2.0, 2.0, 3.0], ddof=1), rel=1e-15)


@pytest.mark.parametrize("x", SERIES, ids=IDS)
@pytest.mark.parametrize(("name", "method"), [("highest", "max"), ("lowest", "min")])
def test_highest_lowest(x: np.ndarray, name: str, method: str) -> None:
    expected = getattr(pd.Series(x).rolling(10), method)()
    assert_same(drive(name, x, n=10), expected, rtol=0.0)


@pytest.mark.parametrize("x", SERIES, ids=IDS)
def test_returns(x: np.ndarray) -> None:
    assert_same(drive("returns", x), pd.Series(x).pct_change(fill_method=None), rtol=1e-14)


def _mask_first_defined(values: pd.Series, defined: pd.Series, k: int) -> pd.Series:
    """Undefined where fewer than k defined inputs have been seen."""
    return values.where(defined.cumsum() >= k + 1)


@pytest.mark.parametrize("lead", [0, 5])
@pytest.mark.parametrize("n", [1, 3, 20])
def test_ema(lead: int, n: int) -> None:
    x = with_gaps(walk(5), lead=lead, holes=())
    s = pd.Series(x)
    expected = _mask_first_defined(s.ewm(span=n, adjust=False).mean(), s.notna(), n - 1)
    assert_same(drive("ema", x, n=n), expected.where(s.notna()), rtol=1e-12)


def _wilder(v: pd.Series, n: int) -> pd.Series:
    return v.ewm(alpha=1.0 / n, adjust=False).mean()


@pytest.mark.parametrize("lead", [0, 5])
@pytest.mark.parametrize("n", [2, 14])
def test_rsi(lead: int, n: int) -> None:
    x = with_gaps(walk(6), lead=lead, holes=())
    d = pd.Series(x).diff()
    g, lo = _wilder(d.clip(lower=0.0), n), _wilder((-d).clip(lower=0.0), n)
    rsi = (100.0 - 100.0 / (1.0 + g / lo)).where(lo != 0.0, 100.0)
    expected = _mask_first_defined(rsi, d.notna(), n - 1)
    assert_same(drive("rsi", x, n=n), expected, rtol=1e-10)


def test_rsi_is_100_without_losses() -> None:
    out = drive("rsi", np.array([1.0, 1.0, 2.0, 2.0]), n=2)
    np.testing.assert_array_equal(out, [np.nan, np.nan, 100.0, 100.0])


@pytest.mark.parametrize("n", [1, 14])
def test_atr(n: int) -> None:
    high, low, close = ohlc(7)
    h, lo, pc = pd.Series(high), pd.Series(low), pd.Series(close).shift(1)
    tr = pd.concat([h - lo, (h - pc).abs(), (lo - pc).abs()], axis=1).max(axis=1).where(pc.notna())
    expected = _wilder(tr, n)
    expected[:n] = np.nan
    assert_same(drive("atr", high, low, close, n=n), expected, rtol=1e-12)


@pytest.mark.parametrize(("name", "params"), [("ema", {"n": 4}), ("rsi", {"n": 4})])
def test_recursive_features_skip_undefined_bars(name: str, params: dict[str, float]) -> None:
    x = walk(8, 60)
    holes = [0, 10, 11, 30]
    gappy = x.copy()
    gappy[holes] = np.nan
    out = drive(name, gappy, **params)
    assert np.isnan(out[holes]).all()
    kept = np.delete(np.arange(len(x)), holes)
    np.testing.assert_array_equal(out[kept], drive(name, x[kept], **params))


def test_atr_skips_bars_with_an_undefined_field() -> None:
    high, low, close = (v[:60].copy() for v in ohlc(9))
    low[20] = np.nan
    out = drive("atr", high, low, close, n=5)
    kept = np.delete(np.arange(60), [20])
    assert np.isnan(out[20])
    np.testing.assert_array_equal(out[kept], drive("atr", high[kept], low[kept], close[kept], n=5))


def test_windows_recover_after_an_undefined_value_leaves() -> None:
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0])
    np.testing.assert_array_equal(drive("sma", x, n=2), [np.nan, 1.5, np.nan, np.nan, 4.5, 5.5, 6.5])
    np.testing.assert_array_equal(drive("highest", x, n=3), [np.nan] * 5 + [6.0, 7.0])


# ---------------------------------------------------------------- strategies vs pandas


@pytest.mark.parametrize("x", SERIES, ids=IDS)
@pytest.mark.parametrize("n", [1, 10])
def test_momentum(x: np.ndarray, n: int) -> None:
    s = pd.Series(x)
    assert_same(drive("momentum", x, n=n), np.sign(s - s.shift(n)), rtol=0.0)


@pytest.mark.parametrize("x", SERIES, ids=IDS)
@pytest.mark.parametrize("n", [1, 20])
def test_breakout(x: np.ndarray, n: int) -> None:
    close = pd.Series(x)
    prev = close.shift(1).rolling(n)
    hi, lo = prev.max(), prev.min()
    expected = pd.Series(np.where(close > hi, 1.0, np.where(close < lo, -1.0, 0.0)))
    expected = expected.where(hi.notna() & close.notna())
    assert_same(drive("breakout", x, n=n), expected, rtol=0.0)


# ---------------------------------------------------------------- hand-checked


NAN = np.nan


def test_crossover() -> None:
    a = np.array([NAN, 1.0, 2.0, 2.0, 3.0, 1.0, 5.0])
    b = np.array([1.0, NAN, 1.0, 2.0, 4.0, 0.5, NAN])
    np.testing.assert_array_equal(drive("crossover", a, b), [0.0, 0.0, 1.0, 0.0, -1.0, 1.0, 0.0])


def test_mean_reversion() -> None:
    x = np.array([NAN, 10.0, 20.0, 30.0, 70.0, 80.0, 90.0])
    expected = [NAN, 1.0, 1.0, 0.0, 0.0, 0.0, -1.0]
    np.testing.assert_array_equal(drive("mean_reversion", x, low=30.0, high=80.0), expected)


def test_threshold_regime() -> None:
    x = np.array([NAN, 0.49, 0.5, 0.51, NAN, -1.0])
    np.testing.assert_array_equal(drive("threshold_regime", x, level=0.5), [NAN, 0.0, 1.0, 1.0, NAN, 0.0])


def test_breakout_small_case() -> None:
    close = np.array([3.0, 5.0, 4.0, 6.0, 4.0, 3.0, 5.0])
    np.testing.assert_array_equal(drive("breakout", close, n=2), [NAN, NAN, 0.0, 1.0, 0.0, -1.0, 1.0])


def test_momentum_with_an_undefined_value() -> None:
    x = np.array([1.0, NAN, 3.0, 3.0, 2.0])
    np.testing.assert_array_equal(drive("momentum", x, n=2), [NAN, NAN, 1.0, NAN, -1.0])


# ---------------------------------------------------------------- exactness and properties


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_compiled_kernel_matches_its_python_source_bit_for_bit(name: str) -> None:
    """No fused multiply-add or reassociation: numba computes what the source says, as plain Python does."""
    high, low, close = (with_gaps(v, lead=2, holes=(50,)) for v in ohlc(10))
    bar = (high, low, close) if name == "atr" else (close,)
    params = params_for(name, 9.0)
    compiled = drive(name, *bar, **params)
    python = _drive_py(KERNELS[name].py_func, _resolve(STATE_SIZE[name], params), bar, params)
    np.testing.assert_array_equal(compiled, python)


def _drive_py(
    func: Callable[..., float], size: int, inputs: tuple[np.ndarray, ...], params: dict[str, float]
) -> np.ndarray:
    state = np.zeros(size)
    return np.array(
        [func(state, *(float(s[t]) for s in inputs), *params.values()) for t in range(len(inputs[0]))]
    )


@settings(max_examples=30, deadline=None)
@given(
    data=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=80),
    n=st.integers(1, 25),
)
def test_sma_matches_a_naive_window_mean(data: list[float], n: int) -> None:
    x = np.array(data)
    out = drive("sma", x, n=n)
    naive = np.array([np.nan if t < n - 1 else np.mean(x[t - n + 1 : t + 1]) for t in range(len(x))])
    np.testing.assert_array_equal(np.isnan(out), np.isnan(naive))
    scale = max(1.0, float(np.abs(x).max()))  # a running sum's error is relative to the data, not the mean
    np.testing.assert_allclose(out, naive, rtol=1e-9, atol=1e-9 * scale)
