"""The run metrics of section 8a, computed once and in one place.

Why one module: a run, a sweep point, a walk-forward window and a report must all agree on
what "sharpe" means, so every metric has one definition, the numba kernel `metrics_nb`:
`compute_metrics` validates arrays and calls it, and a run's summary and a sweep's batch call
it through `ledger_metrics_nb` (a whole chunk of points in one jitted call). Its sums are
numpy's pairwise sums, so its values are those of the numpy formulas to the bit. The
definitions follow the language spec literally:

- returns `r_t = E_t / E_{t-1} - 1` with `E_{-1}` the starting cash; risk-free rate 0;
  standard deviations with ddof 1;
- `P` periods per year: the workflow's `periods_per_year` if it sets one, otherwise
  inferred from the data's calendar (`periods_per_year` below);
- drawdown `1 - E_t / max(cash0, E_0, ..., E_t)`;
- an undefined metric is `None` (JSON `null`); so is any result that is not finite.

Decisions where the spec is silent: `P` counts the bars a day the data has, never fewer than
one, and 365 days a year where weekends trade (the spec's `252 * 6.5 h / gap` annualised 24/7
hourly data on 6.5-hour days, a Sharpe 2.3 times too small); with fewer than two steps `P`
cannot be inferred and
the metrics that need it are `None`; `turnover` is undefined where `mean(E) <= 0`; a ratio
of returns (total return, CAGR) is undefined where the starting cash is not positive.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numba import njit

from flowc.dsl.diagnostics import FlowError, diagnose
from flowc.runtime.trades import trades_nb

METRIC_KEYS = (
    "final_equity", "total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown",
    "calmar", "trades", "win_rate", "avg_trade", "best_trade", "worst_trade", "profit_factor", "expectancy",
    "avg_bars_held", "sqn", "max_losing_streak", "exposure", "turnover", "bars", "steps", "symbols",
)
ASCENDING = frozenset({"max_drawdown"})  # ranked smallest first; every other metric largest first

US_PER_DAY = 86_400 * 10**6
TRADING_DAYS = 252
CALENDAR_DAYS = 365  # a market open every day (crypto)
WEEKEND_SHARE = 0.2  # the share of bars on weekends from which a market counts as never closed (2/7 when it is)

Metric = float | int | None


def periods_per_year(timestamps: np.ndarray) -> float:
    """Bars per year from the data's own calendar (datetime64 of any unit, or int64 ns; two or more).

    `bars a day * days a year`: bars a day is 1 for daily bars (a median gap of a day), else the
    median number of bars per calendar date (390 for a session of minute bars, 24 for hourly bars
    around the clock); days a year is 365 where at least `WEEKEND_SHARE` of the bars fall on a
    Saturday or Sunday (markets that never close), else 252. Where the median gap exceeds a day the
    inference would be a guess: FL610 asks for an explicit `periods_per_year`.
    """
    return _periods(as_us(timestamps))


def _periods(microseconds: np.ndarray) -> float:
    gaps = np.diff(microseconds)
    if len(gaps) == 0:
        raise ValueError("periods per year need at least two timestamps")
    gap = float(np.median(gaps))
    if gap > US_PER_DAY:
        raise FlowError([diagnose(
            "FL610", hint="set `periods_per_year` in the workflow (for example 52 for weekly bars)",
            detail=f"bars are {gap / US_PER_DAY:g} days apart (median gap); periods per year cannot be inferred")])
    if gap <= 0:
        raise ValueError("timestamps must be strictly increasing")
    dates = microseconds // US_PER_DAY  # days since 1970-01-01, a Thursday
    weekend = float(np.mean((dates + 3) % 7 >= 5))  # Monday is 0
    days = CALENDAR_DAYS if weekend >= WEEKEND_SHARE else TRADING_DAYS
    if gap >= US_PER_DAY:
        return float(days)
    _, per_date = np.unique(dates, return_counts=True)
    return days * max(1.0, float(np.median(per_date)))


def compute_metrics(
    *,
    equity: np.ndarray,
    timestamps: np.ndarray,
    cash0: float,
    trades: np.ndarray,
    fill_notional: np.ndarray,
    exposed: np.ndarray,
    bars: int,
    steps: int,
    n_symbols: int,
    periods_per_year: float | None = None,
    kernel: Callable | None = None,
) -> dict[str, Metric]:
    """Every metric of section 8a, keyed exactly as `METRIC_KEYS`; `kernel` is `metrics_nb` or its interpreted form.

    `trades` are the closed trades (`trades.TRADE_DTYPE` fields), their steps on the same clock as `timestamps`.
    """
    equity = np.ascontiguousarray(equity, dtype=np.float64)
    timestamps = np.ascontiguousarray(as_us(timestamps))
    exposed = np.ascontiguousarray(exposed, dtype=np.bool_)
    if not len(equity) == len(timestamps) == len(exposed):
        raise ValueError("equity, timestamps and exposed must have one entry per step")
    columns = [np.ascontiguousarray(c, dtype=np.float64) for c in (
        trades["pnl"], trades["return"], trades["exit_step"] - trades["entry_step"], trades["exit_step"])]
    values = (kernel or metrics_nb)(equity, timestamps, float(cash0), *columns,
                                    np.ascontiguousarray(fill_notional, dtype=np.float64), exposed,
                                    known_periods(timestamps, periods_per_year), bars, steps, n_symbols)
    return as_metrics(values)


def known_periods(timestamps: np.ndarray, periods_per_year: float | None) -> float:
    """Periods per year as given, else inferred from the timestamps (int64 microseconds); NaN with fewer than two."""
    if periods_per_year is None:
        return _periods(timestamps) if len(timestamps) >= 2 else np.nan
    return float(periods_per_year)


def as_metrics(values: np.ndarray) -> dict[str, Metric]:
    """A row of `metrics_nb` as metrics: counts as ints, anything not finite as None (undefined)."""
    pairs = zip(METRIC_KEYS, values, strict=True)
    return {key: int(value) if key in COUNTS else _defined(float(value)) for key, value in pairs}


COUNTS = frozenset({"trades", "max_losing_streak", "bars", "steps", "symbols"})
(_FINAL, _TOTAL, _CAGR, _VOL, _SHARPE, _SORTINO, _DD, _CALMAR, _TRADES, _WIN, _AVG_TRADE, _BEST, _WORST, _PROFIT_FACTOR,
 _EXPECTANCY, _BARS_HELD, _SQN, _STREAK, _EXPOSURE, _TURNOVER, _BARS, _STEPS, _SYMBOLS) = range(len(METRIC_KEYS))


@njit(cache=True, error_model="numpy")
def metrics_nb(equity: np.ndarray, timestamps: np.ndarray, cash0: float, trade_pnl: np.ndarray,
               trade_return: np.ndarray, trade_bars: np.ndarray, trade_exit: np.ndarray,
               fill_notional: np.ndarray, exposed: np.ndarray, periods: float, bars: int, steps: int,
               n_symbols: int) -> np.ndarray:
    """The metrics in `METRIC_KEYS` order, NaN where undefined; `periods` is NaN where unknown.

    The closed trades come as columns: P&L, return, bars held and the step of the closing fill.

    Sums and means are numpy's pairwise sums (`sum_nb`), so every value equals numpy's formula
    of the spec to the bit, in a sweep's batch as in a single run. Plain loops rather than array
    expressions: numba compiles them in a fraction of the time.
    """
    out = np.empty(len(METRIC_KEYS))
    out[:] = np.nan
    out[_TRADES], out[_BARS], out[_STEPS], out[_SYMBOLS] = len(trade_pnl), bars, steps, n_symbols
    if len(trade_pnl):
        wins = 0
        for pnl in trade_pnl:
            wins += pnl > 0.0  # a P&L of 0 is not a win
        out[_WIN] = wins / len(trade_pnl)
    trade_stats_nb(trade_pnl, trade_return, trade_bars, trade_exit, out)
    n = len(equity)
    if n == 0:
        return out
    last = equity[-1]
    out[_FINAL] = last
    held = 0
    for t in range(n):
        held += exposed[t]
    out[_EXPOSURE] = held / n
    mean_equity = sum_nb(equity) / n
    if mean_equity > 0:
        out[_TURNOVER] = sum_nb(fill_notional) / mean_equity + 0.0  # no fill: 0, not numpy's -0.0
    peak, drawdown = cash0, -np.inf
    for t in range(n):  # np.maximum.accumulate and np.max, NaN propagating
        high = equity[t] if equity[t] != equity[t] or equity[t] > cash0 else cash0
        peak = peak if peak != peak or peak > high else high
        fall = 1.0 - equity[t] / peak
        drawdown = drawdown if drawdown != drawdown or drawdown > fall else fall
    out[_DD] = drawdown
    if cash0 > 0:
        out[_TOTAL] = last / cash0 - 1
        years = (timestamps[-1] - timestamps[0]) / (365.25 * US_PER_DAY)
        if years > 0 and last > 0:
            out[_CAGR] = (last / cash0) ** (1 / years) - 1
    if np.isfinite(out[_CAGR]) and np.isfinite(drawdown) and drawdown != 0.0:
        out[_CALMAR] = out[_CAGR] / drawdown
    if periods != periods:
        return out
    scale = np.sqrt(periods)
    r = np.empty(n)
    r[0] = equity[0] / cash0 - 1
    for t in range(1, n):
        r[t] = equity[t] / equity[t - 1] - 1
    mean = sum_nb(r) / n
    same, negative = True, False
    for t in range(n):
        same = same and r[t] == r[0]
        negative = negative or r[t] < 0
    work = np.empty(n)
    if n >= 2:
        for t in range(n):
            work[t] = (r[t] - mean) * (r[t] - mean)
        std = np.sqrt(sum_nb(work) / (n - 1))  # np.std(r, ddof=1)
        out[_VOL] = std * scale
        if not same:  # std is 0 exactly when every return is the same
            out[_SHARPE] = mean / std * scale
    if negative:
        for t in range(n):
            low = r[t] if r[t] != r[t] or r[t] < 0.0 else 0.0  # np.minimum(r, 0.0)
            work[t] = low * low
        out[_SORTINO] = mean / np.sqrt(sum_nb(work) / n) * scale
    return out


@njit(cache=True, error_model="numpy")
def trade_stats_nb(pnl: np.ndarray, ret: np.ndarray, held: np.ndarray, exit_step: np.ndarray,
                   out: np.ndarray) -> None:
    """The trade statistics of the closed trades into `out` (docs/language.md, section 11).

    Means are numpy's pairwise sums over `k`; the losing streak runs over the trades in the order
    of their closing fills (ties: the order given), and is 0 without a losing trade.
    """
    k = len(pnl)
    streak = longest = 0
    for i in np.argsort(exit_step, kind="mergesort"):
        streak = streak + 1 if pnl[i] < 0.0 else 0  # a P&L of 0 ends a streak, as it is no loss
        longest = max(longest, streak)
    out[_STREAK] = longest
    if k == 0:
        return
    out[_AVG_TRADE] = sum_nb(pnl) / k
    out[_EXPECTANCY] = sum_nb(ret) / k
    out[_BARS_HELD] = sum_nb(held) / k
    best, worst = -np.inf, np.inf
    for r in ret:
        best = r if r > best else best  # an undefined return is neither
        worst = r if r < worst else worst
    if best > -np.inf:
        out[_BEST], out[_WORST] = best, worst
    gains, losses = np.zeros(k), np.zeros(k)
    for i in range(k):
        if pnl[i] > 0.0:
            gains[i] = pnl[i]
        elif pnl[i] < 0.0:
            losses[i] = -pnl[i]
    lost = sum_nb(losses)
    if lost > 0.0:
        out[_PROFIT_FACTOR] = sum_nb(gains) / lost
    if k >= 2:
        mean = out[_AVG_TRADE]
        work = np.empty(k)
        for i in range(k):
            work[i] = (pnl[i] - mean) * (pnl[i] - mean)
        std = np.sqrt(sum_nb(work) / (k - 1))
        if std > 0.0:
            out[_SQN] = np.sqrt(k) * mean / std


@njit(cache=True, error_model="numpy")
def ledger_metrics_nb(equity: np.ndarray, exposed: np.ndarray, cash0: np.ndarray, fill_step: np.ndarray,
                      fill_symbol: np.ndarray, fill_q: np.ndarray, fill_price: np.ndarray, fill_commission: np.ndarray,
                      fill_portfolio: np.ndarray, fill_risk: np.ndarray, timestamps: np.ndarray, periods: float,
                      bars: int, n_symbols: int, multiplier: np.ndarray) -> np.ndarray:
    """The metrics of a whole run from what its program records, as `metrics_nb` returns them.

    `equity` is [T, P] (summed over the portfolios), `cash0` [P]; fills in ledger order. The
    closed trades of every portfolio (`trades_nb` on its own fills, a position per sleeve and symbol:
    `risk * n_symbols + symbol`) give the trade statistics. `multiplier` is each symbol's (section 8b):
    a fill's notional and a trade's P&L are in cash. One function for a single run's summary
    and a sweep's batch, so the two cannot differ.
    """
    n_steps, n_fills = equity.shape[0], len(fill_q)
    if equity.shape[1] == 1:
        total = equity[:, 0].copy()  # the sum of one value (numpy's starts at -0.0) is the value
    else:
        total = np.empty(n_steps)
        for t in range(n_steps):
            total[t] = sum_nb(equity[t])
    notional = np.empty(n_fills)
    for i in range(n_fills):
        notional[i] = (abs(fill_q[i]) * fill_price[i]) * multiplier[fill_symbol[i]]
    closing = np.empty((4, 2 * n_fills))  # P&L, return, steps held, closing step; a fill closes at most one trade
    n_closed = 0
    step, symbol = np.empty(n_fills, np.int64), np.empty(n_fills, np.int64)
    q, price, commission = np.empty(n_fills), np.empty(n_fills), np.empty(n_fills)
    n_risks = 0
    for i in range(n_fills):
        n_risks = max(n_risks, fill_risk[i] + 1)
    worth = np.empty(n_symbols * max(n_risks, 1))  # each position key's multiplier
    for key in range(len(worth)):
        worth[key] = multiplier[key % n_symbols]
    for j in range(equity.shape[1]):
        n = 0
        for i in range(n_fills):
            if fill_portfolio[i] == j:
                step[n], symbol[n], q[n] = fill_step[i], fill_risk[i] * n_symbols + fill_symbol[i], fill_q[i]
                price[n], commission[n] = fill_price[i], fill_commission[i]
                n += 1
        rows, closed, _ = trades_nb(step[:n], symbol[:n], q[:n], price[:n], commission[:n], n_symbols * n_risks,
                                    worth)
        for k in range(len(closed)):
            if closed[k]:
                closing[0, n_closed], closing[1, n_closed] = rows[k, 7], rows[k, 9]
                closing[2, n_closed], closing[3, n_closed] = rows[k, 3] - rows[k, 2], rows[k, 3]
                n_closed += 1
    trades = closing[:, :n_closed].copy()  # each column contiguous for the sums
    return metrics_nb(total, timestamps, sum_nb(cash0), trades[0], trades[1], trades[2], trades[3], notional,
                      exposed, periods, bars, n_steps, n_symbols)


@njit(cache=True)
def sum_nb(a: np.ndarray) -> float:
    """numpy's sum of a float array to the bit: its pairwise summation (blocks of 8 accumulators up to 128)."""
    n = len(a)
    if n < 8:
        total = -0.0
        for i in range(n):
            total += a[i]
        return total
    if n <= 128:
        r = a[:8].copy()
        i = 8
        while i < n - n % 8:
            for j in range(8):
                r[j] += a[i + j]
            i += 8
        total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            total += a[i]
            i += 1
        return total
    half = n // 2
    half -= half % 8
    return sum_nb(a[:half]) + sum_nb(a[half:])


def as_us(timestamps: np.ndarray) -> np.ndarray:
    """int64 microseconds of a datetime64 array of any unit (integers are taken as nanoseconds)."""
    timestamps = np.asarray(timestamps)
    if timestamps.dtype.kind == "M":
        return timestamps.astype("datetime64[us]").view(np.int64)
    return timestamps.astype(np.int64, copy=False) // 1000


def _defined(value: float) -> float | None:
    return value + 0.0 if math.isfinite(value) else None  # + 0.0: never a -0 on screen or in JSON


def rank(points: list[dict], objective: str) -> list[int]:
    """Indices of `points` (metric dicts) best first by `objective`; undefined values last.

    `max_drawdown` ranks ascending, every other metric descending; ties and undefined values
    keep their original order.
    """
    if objective not in METRIC_KEYS:
        raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(METRIC_KEYS)}")
    sign = 1.0 if objective in ASCENDING else -1.0
    defined, undefined = [], []
    for i, point in enumerate(points):
        value = point.get(objective)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            undefined.append(i)
        else:
            defined.append(i)
    defined.sort(key=lambda i: sign * float(points[i][objective]))
    return defined + undefined
