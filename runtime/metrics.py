"""The run metrics of section 8a, computed once and in one place.

Why one module: a run, a sweep point, a walk-forward window and a report must all agree on
what "sharpe" means, so every caller hands the same arrays to `compute_metrics` and nothing
else computes a metric. The definitions follow the language spec literally:

- returns `r_t = E_t / E_{t-1} - 1` with `E_{-1}` the starting cash; risk-free rate 0;
  standard deviations with ddof 1;
- `P` periods per year: the workflow's `periods_per_year` if it sets one, otherwise
  inferred from the median gap between timestamps (`periods_per_year` below);
- drawdown `1 - E_t / max(cash0, E_0, ..., E_t)`;
- an undefined metric is `None` (JSON `null`); so is any result that is not finite.

Decisions where the spec is silent: a median gap between 6.5 hours and a day gives 252 (one
bar per session), where `252 * 6.5 h / gap` would rate such bars below daily ones; with
fewer than two steps `P` cannot be inferred and
the metrics that need it are `None`; `turnover` is undefined where `mean(E) <= 0`; a ratio
of returns (total return, CAGR) is undefined where the starting cash is not positive.
"""

from __future__ import annotations

import math

import numpy as np

from flowc.dsl.diagnostics import FlowError, error

METRIC_KEYS = (
    "final_equity", "total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown",
    "calmar", "trades", "win_rate", "exposure", "turnover", "bars", "steps", "symbols",
)
ASCENDING = frozenset({"max_drawdown"})  # ranked smallest first; every other metric largest first

US_PER_DAY = 86_400 * 10**6
TRADING_DAYS = 252
SESSION_US = int(6.5 * 3600 * 10**6)  # one trading session: 6.5 hours

Metric = float | int | None


def periods_per_year(timestamps: np.ndarray) -> float:
    """Bars per year, from the median gap between timestamps (datetime64 of any unit, or int64 ns; two or more).

    Daily bars (a median gap of one day; weekends and holidays are outliers the median
    ignores) give 252. Intraday bars give `252 * 6.5 h / gap`, bars per 6.5-hour session;
    gaps between a session and a day still count as one bar per session (252), so that the
    rule never gives fewer periods than daily bars. Where the median gap exceeds a day the
    inference would be a guess: FL610 asks for an explicit `periods_per_year`.
    """
    return _periods(_as_us(timestamps))


def _periods(microseconds: np.ndarray) -> float:
    gaps = np.diff(microseconds)
    if len(gaps) == 0:
        raise ValueError("periods per year need at least two timestamps")
    gap = float(np.median(gaps))
    if gap > US_PER_DAY:
        raise FlowError([error(
            "FL610",
            f"bars are {gap / US_PER_DAY:g} days apart (median gap); periods per year cannot be inferred",
            hint="set `periods_per_year` in the workflow (for example 52 for weekly bars)",
        )])
    if gap <= 0:
        raise ValueError("timestamps must be strictly increasing")
    return TRADING_DAYS * max(1.0, SESSION_US / gap)


def compute_metrics(
    *,
    equity: np.ndarray,
    timestamps: np.ndarray,
    cash0: float,
    trade_pnl: np.ndarray,
    fill_notional: np.ndarray,
    exposed: np.ndarray,
    bars: int,
    steps: int,
    n_symbols: int,
    periods_per_year: float | None = None,
) -> dict[str, Metric]:
    """Every metric of section 8a, keyed exactly as `METRIC_KEYS`."""
    equity = np.asarray(equity, dtype=np.float64)
    timestamps = _as_us(timestamps)
    trade_pnl = np.asarray(trade_pnl, dtype=np.float64)
    exposed = np.asarray(exposed, dtype=bool)
    if not len(equity) == len(timestamps) == len(exposed):
        raise ValueError("equity, timestamps and exposed must have one entry per step")
    cash0 = float(cash0)

    out: dict[str, Metric] = dict.fromkeys(METRIC_KEYS)
    out.update(trades=len(trade_pnl), bars=int(bars), steps=int(steps), symbols=int(n_symbols))
    if len(trade_pnl):
        out["win_rate"] = float(np.mean(trade_pnl > 0.0))  # a P&L of 0 is not a win
    if len(equity) == 0:
        return out

    last = float(equity[-1])
    out["final_equity"] = _defined(last)
    out["exposure"] = float(np.mean(exposed))
    mean_equity = float(np.mean(equity))
    if mean_equity > 0:
        out["turnover"] = _defined(float(np.sum(fill_notional)) / mean_equity)
    peak = np.maximum.accumulate(np.maximum(equity, cash0))
    with np.errstate(divide="ignore", invalid="ignore"):
        out["max_drawdown"] = _defined(float(np.max(1.0 - equity / peak)))

    if cash0 > 0:
        out["total_return"] = _defined(last / cash0 - 1)
        years = (int(timestamps[-1]) - int(timestamps[0])) / (365.25 * US_PER_DAY)
        if years > 0 and last > 0:
            out["cagr"] = _defined((last / cash0) ** (1 / years) - 1)
    if out["cagr"] is not None and out["max_drawdown"]:
        out["calmar"] = _defined(out["cagr"] / out["max_drawdown"])

    if periods_per_year is None and len(timestamps) >= 2:
        periods_per_year = _periods(timestamps)
    if periods_per_year is not None:
        out.update(_return_metrics(equity, cash0, float(periods_per_year)))
    return out


def _return_metrics(equity: np.ndarray, cash0: float, periods: float) -> dict[str, Metric]:
    """Volatility, Sharpe and Sortino of the per-step returns, annualised by `periods`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = equity / np.concatenate(([cash0], equity[:-1])) - 1
    out: dict[str, Metric] = {}
    scale = math.sqrt(periods)
    if len(r) >= 2:
        std = float(np.std(r, ddof=1))
        out["volatility"] = _defined(std * scale)
        if not np.all(r == r[0]):  # std is 0 exactly when every return is the same
            out["sharpe"] = _defined(float(np.mean(r)) / std * scale)
    if np.any(r < 0):
        downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
        out["sortino"] = _defined(float(np.mean(r)) / downside * scale)
    return out


def _as_us(timestamps: np.ndarray) -> np.ndarray:
    """int64 microseconds of a datetime64 array of any unit (integers are taken as nanoseconds)."""
    timestamps = np.asarray(timestamps)
    if timestamps.dtype.kind == "M":
        return timestamps.astype("datetime64[us]").view(np.int64)
    return timestamps.astype(np.int64, copy=False) // 1000


def _defined(value: float) -> float | None:
    return value if math.isfinite(value) else None


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
