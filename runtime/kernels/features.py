"""Feature kernels (sma, ema, rsi, stdev, returns, atr, zscore, highest, lowest).

Why this module exists: the compiled step loop and the hoisted whole-array
prefix both call these one-bar kernels, so their arithmetic is the single
definition of every feature. The plain-Python reference engine reproduces it
bit for bit, which is why the order of every operation below is normative
(spec section 8) and only + - * / sqrt, comparisons and abs are used.

Protocol: `<name>_nb(state, [high, low, close,] *args) -> float`, one call per
bar of one symbol. `state` is that symbol's row, zero at the start of a run
(all zeros means fresh); counters are stored as floats. NaN means undefined.

Each kernel with counters is defined once, as its step form
`<name>_step(state, c0, ..., [high, low, close,] *args) -> (value, c0, ...)`:
the counters `state[0..R-1]` come in as arguments and go out as results, and
the step form touches only the rest of the row (a ring). `<name>_nb` reads
and writes the counters in the row around it. The hoisted prefix calls the
step form with the counters in local variables for a symbol's whole series,
so they live in registers instead of a store and a load at every bar
(1M bars, two SMAs: the prefix 12 -> 7.6 ms). R is the contract's `registers`
(compiler/components.py); the first `counts` of them are whole numbers, which the
prefix loads as ints.
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
def _push(state: np.ndarray, pos: float, run: float, x: float, n: int) -> tuple[float, float, float]:
    """Write x into the ring; the value it replaced (n calls ago), and the next position and run.

    The position and the run are whole numbers: the position goes out as an int, the run with the
    type it came in with. The hoisted prefix keeps both in int locals (`Component.counts`), so
    numba indexes the ring and compares the run without converting a float at every bar (1M
    bars, two SMAs: about -1 ms); stored in the state row they are the same numbers as floats.

    A window longer than the data gets a ring of only as many slots as there are steps (the
    executor's `buffer_shape`): it wraps there, and `run` never reaches `n`, so every window
    function stays undefined, as it would with all `n` slots.
    """
    i = int(pos)
    m = min(n, state.shape[0] - _RING)
    old = state[_RING + i]
    state[_RING + i] = x
    return old, (i + 1 if i + 1 < m else 0), (0 if np.isnan(x) else run + 1)


@njit(cache=True, error_model="numpy", inline="always")
def _window_sum(state: np.ndarray, pos: float, n: int) -> float:
    """Left-to-right sum of the window, oldest first (the oldest sits at the write position)."""
    i0 = int(pos)
    s = 0.0
    for i in range(n):
        s = s + state[_RING + (i0 + i) % n]
    return s


@njit(cache=True, error_model="numpy")
def _window_stdev(state: np.ndarray, pos: float, n: int) -> float:
    """Sample standard deviation of a full window, in two passes (mean, then squared deviations)."""
    m = _window_sum(state, pos, n) / n
    i0 = int(pos)
    ss = 0.0
    for i in range(n):
        v = state[_RING + (i0 + i) % n]
        ss = ss + (v - m) * (v - m)
    return np.sqrt(ss / (n - 1))


@njit(cache=True, error_model="numpy", inline="always")
def _sma(state: np.ndarray, pos: float, run: float, total: float, x: float,
         n: int) -> tuple[float, float, float, float]:
    """Push x; the window mean from the running sum `total`, NaN while run < n."""
    old, pos, run = _push(state, pos, run, x, n)
    if run < n:
        return np.nan, pos, run, total
    total = _window_sum(state, pos, n) if run == n else total + (x - old)  # seed, or roll
    return total / n, pos, run, total


# ---------------------------------------------------------------- windowed features


@njit(cache=True, error_model="numpy", inline="always")
def sma_step(state: np.ndarray, pos: float, run: float, total: float, x: float,
             n: float) -> tuple[float, float, float, float]:
    """Simple moving average: running sum seeded by the left-to-right sum of a full window."""
    k = int(n)
    if k < 1:
        return np.nan, pos, run, total
    return _sma(state, pos, run, total, x, k)


@njit(cache=True, error_model="numpy", inline="always")
def sma_bar_step(field: np.ndarray, t: np.uint64, s: int, run: int, total: float,
                 n: float) -> tuple[float, int, float]:
    """`sma_step` of a BAR field called at every step of its symbol, with every bar present: no ring.

    The input n calls ago is then `field[t - n, s]`, the bits the ring would hold, so the average
    reads it there instead of writing and reading a ring at every bar (100 symbols x 100k bars,
    two averages: about -5 ms of 174). `run` and `total` are `sma_step`'s counters; its ring
    position goes unused. The caller makes sure of the two conditions (`codegen.expr.step_calls`).
    """
    k = int(n)
    if k < 1:
        return np.nan, run, total
    x = field[t, s]
    run = 0 if np.isnan(x) else run + 1
    if run < k:
        return np.nan, run, total
    if run == k:  # seed: the left-to-right sum of the window, oldest first
        total = 0.0
        for j in range(k - 1, -1, -1):
            total = total + field[t - np.uint64(j), s]
    else:  # t >= k here; unsigned, so numba indexes without its wraparound of negative indices
        total = total + (x - field[t - np.uint64(k), s])
    return total / k, run, total


@njit(cache=True, error_model="numpy", inline="always")
def stdev_step(state: np.ndarray, pos: float, run: float, x: float, n: float) -> tuple[float, float, float]:
    """Rolling sample standard deviation (ddof 1), two passes per window."""
    k = int(n)
    if k < 2:
        return np.nan, pos, run
    _, pos, run = _push(state, pos, run, x, k)
    if run < k:
        return np.nan, pos, run
    return _window_stdev(state, pos, k), pos, run


@njit(cache=True, error_model="numpy", inline="always")
def zscore_step(state: np.ndarray, pos: float, run: float, total: float, x: float,
                n: float) -> tuple[float, float, float, float]:
    """(x - sma) / stdev over the same window; NaN where the stdev is 0 or undefined."""
    k = int(n)
    if k < 2:
        return np.nan, pos, run, total
    m, pos, run, total = _sma(state, pos, run, total, x, k)
    if np.isnan(m):
        return np.nan, pos, run, total
    sd = _window_stdev(state, pos, k)
    if sd == 0.0 or np.isnan(sd):
        return np.nan, pos, run, total
    return (x - m) / sd, pos, run, total


@njit(cache=True, error_model="numpy", inline="always")
def _extreme(state: np.ndarray, pos: float, run: float, x: float, n: float,
             largest: bool) -> tuple[float, float, float]:
    """The max (or min) of the last n values, current included; NaN until n defined values."""
    k = int(n)
    if k < 1:
        return np.nan, pos, run
    _, pos, run = _push(state, pos, run, x, k)
    if run < k:
        return np.nan, pos, run
    i0 = int(pos)
    best = state[_RING + i0]
    for i in range(1, k):
        v = state[_RING + (i0 + i) % k]
        if (v > best) if largest else (v < best):
            best = v
    return best, pos, run


@njit(cache=True, error_model="numpy", inline="always")
def highest_step(state: np.ndarray, pos: float, run: float, x: float, n: float) -> tuple[float, float, float]:
    """Rolling maximum over n bars including the current one."""
    return _extreme(state, pos, run, x, n, True)


@njit(cache=True, error_model="numpy", inline="always")
def lowest_step(state: np.ndarray, pos: float, run: float, x: float, n: float) -> tuple[float, float, float]:
    """Rolling minimum over n bars including the current one."""
    return _extreme(state, pos, run, x, n, False)


# ---------------------------------------------------------------- recursive features


@njit(cache=True, error_model="numpy", inline="always")
def returns_step(state: np.ndarray, seen: float, prev: float, x: float) -> tuple[float, float, float]:
    """x / x_prev - 1 against the previous call's input (NaN if that was NaN); NaN at the first call."""
    if seen == 0.0:
        return np.nan, 1.0, x
    return x / prev - 1.0, 1.0, x


@njit(cache=True, error_model="numpy", inline="always")
def ema_step(state: np.ndarray, count: float, y: float, x: float, n: float) -> tuple[float, float, float]:
    """Exponential average with alpha = 2 / (n + 1), seeded by the first defined input.

    Undefined inputs are skipped (NaN out, counters unchanged). Counters: defined inputs, y.
    """
    k = int(n)
    if k < 1 or np.isnan(x):
        return np.nan, count, y
    if count == 0.0:
        y = x
    else:
        alpha = 2.0 / (k + 1.0)
        y = (1.0 - alpha) * y + alpha * x
    count = count + 1.0
    return (np.nan if count < k else y), count, y


@njit(cache=True, error_model="numpy", inline="always")
def rsi_step(state: np.ndarray, count: float, prev: float, g: float, lo: float, x: float,
             n: float) -> tuple[float, float, float, float, float]:
    """Wilder's RSI: gains and losses smoothed with alpha = 1 / n, seeded at the first difference.

    Undefined inputs are skipped. Counters: defined inputs, previous input, G, L.
    """
    k = int(n)
    if k < 1 or np.isnan(x):
        return np.nan, count, prev, g, lo
    if count > 0.0:
        d = x - prev
        gain = d if d > 0.0 else 0.0
        loss = -d if d < 0.0 else 0.0
        if count == 1.0:
            g = gain
            lo = loss
        else:
            alpha = 1.0 / k
            g = (1.0 - alpha) * g + alpha * gain
            lo = (1.0 - alpha) * lo + alpha * loss
    seen = count  # differences seen now
    count = count + 1.0
    if seen < k:
        return np.nan, count, x, g, lo
    return (100.0 if lo == 0.0 else 100.0 - 100.0 / (1.0 + g / lo)), count, x, g, lo


@njit(cache=True, error_model="numpy", inline="always")
def atr_step(state: np.ndarray, count: float, pc: float, a: float, high: float, low: float, close: float,
             n: float) -> tuple[float, float, float, float]:
    """Average true range, Wilder-smoothed with alpha = 1 / n; defined after n true ranges.

    A bar with an undefined field is skipped. Counters: bars seen, previous close, A.
    """
    k = int(n)
    if k < 1 or np.isnan(high) or np.isnan(low) or np.isnan(close):
        return np.nan, count, pc, a
    if count > 0.0:
        tr = max(high - low, abs(high - pc), abs(low - pc))
        if count == 1.0:
            a = tr
        else:
            alpha = 1.0 / k
            a = (1.0 - alpha) * a + alpha * tr
    seen = count  # true ranges seen now
    return (np.nan if seen < k else a), count + 1.0, close, a


# ---------------------------------------------------------------- memory forms: the counters in the row


@njit(cache=True, error_model="numpy", inline="always")
def sma_nb(state: np.ndarray, x: float, n: float) -> float:
    v, state[0], state[1], state[2] = sma_step(state, state[0], state[1], state[2], x, n)
    return v


@njit(cache=True, error_model="numpy", inline="always")
def stdev_nb(state: np.ndarray, x: float, n: float) -> float:
    v, state[0], state[1] = stdev_step(state, state[0], state[1], x, n)
    return v


@njit(cache=True, error_model="numpy", inline="always")
def zscore_nb(state: np.ndarray, x: float, n: float) -> float:
    v, state[0], state[1], state[2] = zscore_step(state, state[0], state[1], state[2], x, n)
    return v


@njit(cache=True, error_model="numpy", inline="always")
def highest_nb(state: np.ndarray, x: float, n: float) -> float:
    v, state[0], state[1] = highest_step(state, state[0], state[1], x, n)
    return v


@njit(cache=True, error_model="numpy", inline="always")
def lowest_nb(state: np.ndarray, x: float, n: float) -> float:
    v, state[0], state[1] = lowest_step(state, state[0], state[1], x, n)
    return v


@njit(cache=True, error_model="numpy", inline="always")
def returns_nb(state: np.ndarray, x: float) -> float:
    v, state[0], state[1] = returns_step(state, state[0], state[1], x)
    return v


@njit(cache=True, error_model="numpy", inline="always")
def ema_nb(state: np.ndarray, x: float, n: float) -> float:
    v, state[0], state[1] = ema_step(state, state[0], state[1], x, n)
    return v


@njit(cache=True, error_model="numpy", inline="always")
def rsi_nb(state: np.ndarray, x: float, n: float) -> float:
    v, state[0], state[1], state[2], state[3] = rsi_step(state, state[0], state[1], state[2], state[3], x, n)
    return v


@njit(cache=True, error_model="numpy", inline="always")
def atr_nb(state: np.ndarray, high: float, low: float, close: float, n: float) -> float:
    v, state[0], state[1], state[2] = atr_step(state, state[0], state[1], state[2], high, low, close, n)
    return v


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
