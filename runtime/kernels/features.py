"""Feature kernels (sma, ema, rsi, stdev, returns, atr, zscore, highest, lowest).

Why this module exists: the compiled step loop and the hoisted whole-array
prefix both call these one-bar kernels, so their arithmetic is the single
definition of every feature. The plain-Python reference engine reproduces it
bit for bit, which is why the order of every operation below is normative
(spec section 8) and only + - * / sqrt, comparisons and abs are used.

Protocol: `<name>_nb(state, [high, low, close,] *args) -> float`, one call per
bar of one symbol. `state` is that symbol's row, zero at the start of a run
(all zeros means fresh); counters are stored as floats. NaN means undefined.
Windows arrive as floats and are truncated with `int(n)`; an invalid window
(n < 1, or n < 2 for the standard deviation) gives NaN rather than touching
memory outside the state.

Windowed kernels share one ring layout: `state[0]` the next write position,
`state[1]` the run (consecutive defined inputs ending at this bar),
`state[2]` a kernel-specific slot (the running sum of sma/zscore), then the
last n inputs from `state[3]` on. A "left-to-right sum" is a plain loop
`s = s + v` from 0.0, oldest value first.

Kernels are compiled with `error_model="numpy"` so a division by zero yields
IEEE inf/NaN (as pandas does) instead of raising inside the loop.
They are inlined where they are called (`inline="always"`): in the generated
program's per-bar loops a call then costs a few loads instead of a function
call over the state row (1M bars, two SMAs and a crossover: 25.7 -> 8.9 ms).
"""

import numpy as np
from numba import njit

_RING = 3  # header slots before the ring buffer of windowed kernels


# ---------------------------------------------------------------- ring helpers


@njit(cache=True, error_model="numpy", inline="always")
def _push(state: np.ndarray, x: float, n: int) -> float:
    """Write x into the ring, update the run, and return the value it replaced (n calls ago)."""
    pos = int(state[0])
    old = state[_RING + pos]
    state[_RING + pos] = x
    state[0] = pos + 1.0 if pos + 1 < n else 0.0
    state[1] = 0.0 if np.isnan(x) else state[1] + 1.0
    return old


@njit(cache=True, error_model="numpy", inline="always")
def _window_sum(state: np.ndarray, n: int) -> float:
    """Left-to-right sum of the window, oldest first (the oldest sits at the write position)."""
    pos = int(state[0])
    s = 0.0
    for i in range(n):
        s = s + state[_RING + (pos + i) % n]
    return s


@njit(cache=True, error_model="numpy")
def _window_stdev(state: np.ndarray, n: int) -> float:
    """Sample standard deviation of a full window, in two passes (mean, then squared deviations)."""
    m = _window_sum(state, n) / n
    pos = int(state[0])
    ss = 0.0
    for i in range(n):
        v = state[_RING + (pos + i) % n]
        ss = ss + (v - m) * (v - m)
    return np.sqrt(ss / (n - 1))


@njit(cache=True, error_model="numpy", inline="always")
def _sma_step(state: np.ndarray, x: float, n: int) -> float:
    """Push x and return the window mean from the running sum `state[2]`, NaN while run < n."""
    old = _push(state, x, n)
    run = state[1]
    if run < n:
        return np.nan
    s = _window_sum(state, n) if run == n else state[2] + (x - old)  # seed, or roll
    state[2] = s
    return s / n


# ---------------------------------------------------------------- windowed features


@njit(cache=True, error_model="numpy", inline="always")
def sma_nb(state: np.ndarray, x: float, n: float) -> float:
    """Simple moving average: running sum seeded by the left-to-right sum of a full window."""
    k = int(n)
    if k < 1:
        return np.nan
    return _sma_step(state, x, k)


@njit(cache=True, error_model="numpy", inline="always")
def stdev_nb(state: np.ndarray, x: float, n: float) -> float:
    """Rolling sample standard deviation (ddof 1), two passes per window."""
    k = int(n)
    if k < 2:
        return np.nan
    _push(state, x, k)
    if state[1] < k:
        return np.nan
    return _window_stdev(state, k)


@njit(cache=True, error_model="numpy", inline="always")
def zscore_nb(state: np.ndarray, x: float, n: float) -> float:
    """(x - sma) / stdev over the same window; NaN where the stdev is 0 or undefined."""
    k = int(n)
    if k < 2:
        return np.nan
    m = _sma_step(state, x, k)
    if np.isnan(m):
        return np.nan
    sd = _window_stdev(state, k)
    if sd == 0.0 or np.isnan(sd):
        return np.nan
    return (x - m) / sd


@njit(cache=True, error_model="numpy", inline="always")
def _extreme(state: np.ndarray, x: float, n: float, largest: bool) -> float:
    """The max (or min) of the last n values, current included; NaN until n defined values."""
    k = int(n)
    if k < 1:
        return np.nan
    _push(state, x, k)
    if state[1] < k:
        return np.nan
    pos = int(state[0])
    best = state[_RING + pos]
    for i in range(1, k):
        v = state[_RING + (pos + i) % k]
        if (v > best) if largest else (v < best):
            best = v
    return best


@njit(cache=True, error_model="numpy", inline="always")
def highest_nb(state: np.ndarray, x: float, n: float) -> float:
    """Rolling maximum over n bars including the current one."""
    return _extreme(state, x, n, True)


@njit(cache=True, error_model="numpy", inline="always")
def lowest_nb(state: np.ndarray, x: float, n: float) -> float:
    """Rolling minimum over n bars including the current one."""
    return _extreme(state, x, n, False)


# ---------------------------------------------------------------- recursive features


@njit(cache=True, error_model="numpy", inline="always")
def returns_nb(state: np.ndarray, x: float) -> float:
    """x / x_prev - 1 against the previous call's input (NaN if that was NaN); NaN at the first call.

    State: [seen, prev].
    """
    seen = state[0]
    prev = state[1]
    state[0] = 1.0
    state[1] = x
    if seen == 0.0:
        return np.nan
    return x / prev - 1.0


@njit(cache=True, error_model="numpy", inline="always")
def ema_nb(state: np.ndarray, x: float, n: float) -> float:
    """Exponential average with alpha = 2 / (n + 1), seeded by the first defined input.

    Undefined inputs are skipped (NaN out, state unchanged). State: [defined inputs, y].
    """
    k = int(n)
    if k < 1 or np.isnan(x):
        return np.nan
    count = state[0]
    if count == 0.0:
        y = x
    else:
        alpha = 2.0 / (k + 1.0)
        y = (1.0 - alpha) * state[1] + alpha * x
    state[0] = count + 1.0
    state[1] = y
    if count + 1.0 < k:
        return np.nan
    return y


@njit(cache=True, error_model="numpy", inline="always")
def rsi_nb(state: np.ndarray, x: float, n: float) -> float:
    """Wilder's RSI: gains and losses smoothed with alpha = 1 / n, seeded at the first difference.

    Undefined inputs are skipped. State: [defined inputs, prev, G, L].
    """
    k = int(n)
    if k < 1 or np.isnan(x):
        return np.nan
    count = state[0]
    if count > 0.0:
        d = x - state[1]
        gain = d if d > 0.0 else 0.0
        loss = -d if d < 0.0 else 0.0
        if count == 1.0:
            state[2] = gain
            state[3] = loss
        else:
            alpha = 1.0 / k
            state[2] = (1.0 - alpha) * state[2] + alpha * gain
            state[3] = (1.0 - alpha) * state[3] + alpha * loss
    state[0] = count + 1.0
    state[1] = x
    if count < k:  # `count` differences have been seen now
        return np.nan
    g = state[2]
    lo = state[3]
    if lo == 0.0:
        return 100.0
    return 100.0 - 100.0 / (1.0 + g / lo)


@njit(cache=True, error_model="numpy", inline="always")
def atr_nb(state: np.ndarray, high: float, low: float, close: float, n: float) -> float:
    """Average true range, Wilder-smoothed with alpha = 1 / n; defined after n true ranges.

    A bar with an undefined field is skipped. State: [bars seen, prev close, A].
    """
    k = int(n)
    if k < 1 or np.isnan(high) or np.isnan(low) or np.isnan(close):
        return np.nan
    count = state[0]
    if count > 0.0:
        pc = state[1]
        tr = max(high - low, abs(high - pc), abs(low - pc))
        if count == 1.0:
            state[2] = tr
        else:
            alpha = 1.0 / k
            state[2] = (1.0 - alpha) * state[2] + alpha * tr
    state[0] = count + 1.0
    state[1] = close
    if count < k:  # `count` true ranges have been seen now
        return np.nan
    return state[2]


# ---------------------------------------------------------------- tables

KERNELS = {
    "sma": sma_nb,
    "ema": ema_nb,
    "rsi": rsi_nb,
    "stdev": stdev_nb,
    "returns": returns_nb,
    "atr": atr_nb,
    "zscore": zscore_nb,
    "highest": highest_nb,
    "lowest": lowest_nb,
}
