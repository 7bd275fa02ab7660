"""Expression operators as components: lags, arithmetic, rolling windows, crosses and a latch.

Why this module exists: these are the operators a strategy is written with
(`shift`, `log`, `min`, `where`, `corr`, `cross_above`, `hold`, ...). Each is
an ordinary component with a contract (`compiler/components.py`, `OPERATORS`),
so the code generator calls them like every other kernel, in every series
setting, hoisted or in the step loop. Their exact definitions are in
docs/semantics.md, section 5; the reference engine re-implements them.

Protocol and ring layout as in `features`: `<name>_nb(state, *args) -> float`,
one call per evaluation of the setting for one symbol, `state` that symbol's
row, zero at the start. Windowed kernels keep `state[0]` the next write
position, `state[1]` the run of defined inputs, `state[2]` a kernel-specific
slot, then the ring from `state[3]`; `cov` and `corr` keep a second ring after
the first. These kernels keep their counters in the row (no step form).
"""

import numpy as np
from numba import njit

from .features import _RING, _push, _sma

# ---------------------------------------------------------------- stateless arithmetic


@njit(cache=True, error_model="numpy", inline="always")
def log_nb(state: np.ndarray, x: float) -> float:
    """Natural logarithm; NaN where x <= 0 or x is NaN."""
    if not x > 0.0:
        return np.nan
    return np.log(x)


@njit(cache=True, error_model="numpy", inline="always")
def exp_nb(state: np.ndarray, x: float) -> float:
    """e ** x; inf where it overflows, NaN where x is NaN."""
    return np.exp(x)


@njit(cache=True, error_model="numpy", inline="always")
def sqrt_nb(state: np.ndarray, x: float) -> float:
    """Square root; NaN where x < 0 or x is NaN."""
    if not x >= 0.0:
        return np.nan
    return np.sqrt(x)


@njit(cache=True, error_model="numpy", inline="always")
def abs_nb(state: np.ndarray, x: float) -> float:
    return abs(x)


@njit(cache=True, error_model="numpy", inline="always")
def sign_nb(state: np.ndarray, x: float) -> float:
    """+1, -1 or 0 by the sign of x (0 for both zeros); NaN where x is NaN."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    if x == 0.0:
        return 0.0
    return np.nan


@njit(cache=True, error_model="numpy", inline="always")
def min_nb(state: np.ndarray, a: float, b: float) -> float:
    if np.isnan(a) or np.isnan(b):
        return np.nan
    return a if a <= b else b


@njit(cache=True, error_model="numpy", inline="always")
def max_nb(state: np.ndarray, a: float, b: float) -> float:
    if np.isnan(a) or np.isnan(b):
        return np.nan
    return a if a >= b else b


@njit(cache=True, error_model="numpy", inline="always")
def clip_nb(state: np.ndarray, x: float, low: float, high: float) -> float:
    """min(max(x, low), high); NaN where any operand is NaN (high wins where low > high)."""
    if np.isnan(x) or np.isnan(low) or np.isnan(high):
        return np.nan
    y = x if x >= low else low
    return y if y <= high else high


@njit(cache=True, error_model="numpy", inline="always")
def where_nb(state: np.ndarray, cond: float, a: float, b: float) -> float:
    """a where cond is true (defined and not 0), else b."""
    return a if (cond == cond and cond != 0.0) else b


# ---------------------------------------------------------------- lags


@njit(cache=True, error_model="numpy", inline="always")
def _lag(state: np.ndarray, x: float, k: int) -> float:
    """Push x; the input k calls ago (even NaN), NaN during the first k calls. `state[2]` counts calls up to k."""
    old, state[0], state[1] = _push(state, state[0], state[1], x, k)
    if state[2] < k:
        state[2] = state[2] + 1.0
        return np.nan
    return old


@njit(cache=True, error_model="numpy", inline="always")
def shift_nb(state: np.ndarray, x: float, n: float) -> float:
    k = int(n)
    if k < 1:
        return np.nan
    return _lag(state, x, k)


@njit(cache=True, error_model="numpy", inline="always")
def diff_nb(state: np.ndarray, x: float, n: float) -> float:
    k = int(n)
    if k < 1:
        return np.nan
    return x - _lag(state, x, k)


@njit(cache=True, error_model="numpy", inline="always")
def pct_change_nb(state: np.ndarray, x: float, n: float) -> float:
    k = int(n)
    if k < 1:
        return np.nan
    return x / _lag(state, x, k) - 1.0


# ---------------------------------------------------------------- rolling windows


@njit(cache=True, error_model="numpy", inline="always")
def sum_nb(state: np.ndarray, x: float, n: float) -> float:
    """The running sum of `sma` (seeded by the left-to-right sum of a full window, then rolled)."""
    k = int(n)
    if k < 1:
        return np.nan
    m, state[0], state[1], state[2] = _sma(state, state[0], state[1], state[2], x, k)
    return np.nan if np.isnan(m) else state[2]


@njit(cache=True, error_model="numpy", inline="always")
def rank_nb(state: np.ndarray, x: float, n: float) -> float:
    """(number of window values <= x) / n, the current value included; NaN until n defined values."""
    k = int(n)
    if k < 1:
        return np.nan
    _, state[0], state[1] = _push(state, state[0], state[1], x, k)
    if state[1] < k:
        return np.nan
    c = 0.0
    for i in range(k):
        if state[_RING + i] <= x:
            c = c + 1.0
    return c / k


@njit(cache=True, error_model="numpy")
def _pairs(state: np.ndarray, a: float, b: float, k: int, correlate: bool) -> float:
    """Push the pair (a, b) into the two rings; the covariance (or correlation) of a full window.

    The run counts consecutive calls where both are defined. Two passes, oldest first:
    the means, then the sums of products of deviations. The rings are `m` slots each, `m = k`
    unless the row is shorter (an executor may size a ring by the data's length when the window
    is longer: then the run never reaches k, and the value stays undefined, as with k slots).
    """
    m = min(k, (state.shape[0] - _RING) // 2)
    i = int(state[0])
    state[_RING + i] = a
    state[_RING + m + i] = b
    state[0] = i + 1.0 if i + 1 < m else 0.0
    state[1] = 0.0 if (np.isnan(a) or np.isnan(b)) else state[1] + 1.0
    if state[1] < k or m < k:
        return np.nan
    i0 = int(state[0])
    sa = 0.0
    sb = 0.0
    for j in range(k):
        sa = sa + state[_RING + (i0 + j) % k]
        sb = sb + state[_RING + k + (i0 + j) % k]
    ma = sa / k
    mb = sb / k
    sxy = 0.0
    sxx = 0.0
    syy = 0.0
    for j in range(k):
        da = state[_RING + (i0 + j) % k] - ma
        db = state[_RING + k + (i0 + j) % k] - mb
        sxy = sxy + da * db
        sxx = sxx + da * da
        syy = syy + db * db
    if not correlate:
        return sxy / (k - 1)
    if sxx == 0.0 or syy == 0.0:
        return np.nan
    return sxy / np.sqrt(sxx * syy)


@njit(cache=True, error_model="numpy", inline="always")
def cov_nb(state: np.ndarray, a: float, b: float, n: float) -> float:
    k = int(n)
    if k < 2:
        return np.nan
    return _pairs(state, a, b, k, False)


@njit(cache=True, error_model="numpy", inline="always")
def corr_nb(state: np.ndarray, a: float, b: float, n: float) -> float:
    k = int(n)
    if k < 2:
        return np.nan
    return _pairs(state, a, b, k, True)


# ---------------------------------------------------------------- events and state


@njit(cache=True, error_model="numpy", inline="always")
def cross_above_nb(state: np.ndarray, a: float, b: float) -> float:
    """1 where a > b now and a <= b at the previous call (comparisons with NaN are false), else 0.

    State: [calls seen (0 or 1), previous a, previous b].
    """
    crossed = state[0] == 1.0 and state[1] <= state[2] and a > b
    state[0] = 1.0
    state[1] = a
    state[2] = b
    return 1.0 if crossed else 0.0


@njit(cache=True, error_model="numpy", inline="always")
def cross_below_nb(state: np.ndarray, a: float, b: float) -> float:
    """1 where a < b now and a >= b at the previous call, else 0."""
    crossed = state[0] == 1.0 and state[1] >= state[2] and a < b
    state[0] = 1.0
    state[1] = a
    state[2] = b
    return 1.0 if crossed else 0.0


@njit(cache=True, error_model="numpy", inline="always")
def hold_nb(state: np.ndarray, long: float, short: float, flat: float) -> float:
    """The latched direction: flat first, then long, then short; otherwise it stays (0 at the start)."""
    if flat == flat and flat != 0.0:
        state[0] = 0.0
    elif long == long and long != 0.0:
        state[0] = 1.0
    elif short == short and short != 0.0:
        state[0] = -1.0
    return state[0]


@njit(cache=True, error_model="numpy", inline="always")
def bar_index_nb(state: np.ndarray, close: float) -> float:
    """0 at the first call for a symbol, then 1, 2, ... (it reads BAR, so the calls are the symbol's bars)."""
    i = state[0]
    state[0] = i + 1.0
    return i


# ---------------------------------------------------------------- calendar fields of the bar


@njit(cache=True, error_model="numpy", inline="always")
def civil(time: float) -> tuple[int, int, int, int, int]:
    """Year, month, day, days since 1970-01-01 and seconds of the day of a timestamp in whole seconds (UTC).

    Howard Hinnant's `civil_from_days`, in integers (floor division throughout).
    """
    s = int(time)
    days = s // 86400
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return year, month, day, days, s - days * 86400


@njit(cache=True, error_model="numpy", inline="always")
def year_nb(state: np.ndarray, time: float) -> float:
    return float(civil(time)[0])


@njit(cache=True, error_model="numpy", inline="always")
def month_nb(state: np.ndarray, time: float) -> float:
    return float(civil(time)[1])


@njit(cache=True, error_model="numpy", inline="always")
def day_nb(state: np.ndarray, time: float) -> float:
    return float(civil(time)[2])


@njit(cache=True, error_model="numpy", inline="always")
def weekday_nb(state: np.ndarray, time: float) -> float:
    """0 on Monday to 6 on Sunday (1970-01-01 was a Thursday)."""
    return float((civil(time)[3] + 3) % 7)


@njit(cache=True, error_model="numpy", inline="always")
def hour_nb(state: np.ndarray, time: float) -> float:
    return float(civil(time)[4] // 3600)


@njit(cache=True, error_model="numpy", inline="always")
def minute_nb(state: np.ndarray, time: float) -> float:
    return float(civil(time)[4] % 3600 // 60)


@njit(cache=True, error_model="numpy", inline="always")
def _new_period(state: np.ndarray, key: float) -> float:
    """1 where the period key differs from the previous call's, 0 at the first call. State: [seen, key]."""
    new = state[0] == 1.0 and key != state[1]
    state[0] = 1.0
    state[1] = key
    return 1.0 if new else 0.0


@njit(cache=True, error_model="numpy", inline="always")
def new_day_nb(state: np.ndarray, time: float) -> float:
    return _new_period(state, float(civil(time)[3]))


@njit(cache=True, error_model="numpy", inline="always")
def new_week_nb(state: np.ndarray, time: float) -> float:
    """ISO weeks run Monday to Sunday: the week key is the number of Mondays since 1970-01-05, floored."""
    return _new_period(state, float((civil(time)[3] + 3) // 7))


@njit(cache=True, error_model="numpy", inline="always")
def new_month_nb(state: np.ndarray, time: float) -> float:
    year, month, _, _, _ = civil(time)
    return _new_period(state, float(year * 12 + month))


@njit(cache=True, error_model="numpy", inline="always")
def new_year_nb(state: np.ndarray, time: float) -> float:
    return _new_period(state, float(civil(time)[0]))


# ---------------------------------------------------------------- tables

KERNELS = {
    "shift": shift_nb, "diff": diff_nb, "pct_change": pct_change_nb,
    "log": log_nb, "exp": exp_nb, "sqrt": sqrt_nb, "abs": abs_nb, "sign": sign_nb,
    "min": min_nb, "max": max_nb, "clip": clip_nb, "where": where_nb,
    "sum": sum_nb, "rank": rank_nb, "cov": cov_nb, "corr": corr_nb,
    "cross_above": cross_above_nb, "cross_below": cross_below_nb, "hold": hold_nb, "bar_index": bar_index_nb,
    "year": year_nb, "month": month_nb, "day": day_nb, "weekday": weekday_nb, "hour": hour_nb, "minute": minute_nb,
    "new_day": new_day_nb, "new_week": new_week_nb, "new_month": new_month_nb, "new_year": new_year_nb,
}
