"""What a report shows, computed once from an `--out` folder and the market data: plain pandas.

Both renderers (the HTML page and the PNG charts) draw from one `RunView`, so they cannot
disagree. Everything comes from the files a run wrote (`equity.csv`, `fills.csv`, `trades.csv`,
`metrics.json`, `manifest.json`) plus the prices of the same steps, which are not copied into
`--out` but loaded again from the data the manifest names.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from flowc.runtime.data import MarketData

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_SYMBOL_CHARTS = 20


@dataclass
class RunView:
    out: Path
    workflow: str
    metrics: dict
    manifest: dict
    market: MarketData
    index: pd.DatetimeIndex  # one per step
    cash0: float
    equity: np.ndarray  # [T] total equity
    drawdown: np.ndarray  # [T] as a positive fraction
    benchmark_symbols: list[str]
    benchmark: np.ndarray  # [T] buy-and-hold equity of the same cash
    benchmark_drawdown: np.ndarray
    benchmark_metrics: dict
    positions: np.ndarray  # [T, S] end-of-step position of every portfolio together
    trades: pd.DataFrame  # trades.csv
    markers: pd.DataFrame  # one row per fill drawn on a price chart (`fill_markers`)
    monthly: pd.DataFrame  # years x 12 months, returns as fractions (NaN: no bar that month)
    charted_symbols: list[int]  # the symbols drawn with their price, most traded first
    contributions: dict[str, np.ndarray] = field(default_factory=dict)  # sleeve -> [T] (equity.csv `contribution:`)
    graph: object | None = None  # the FlowGraph, when the workflow could be loaded
    features: object | None = None  # runtime.features.Features of the run, drawn with the prices
    notes: list[str] = field(default_factory=list)

    @property
    def benchmark_label(self) -> str:
        if len(self.benchmark_symbols) == 1:
            return f"buy and hold {self.benchmark_symbols[0]}"
        return f"buy and hold {', '.join(self.benchmark_symbols)} (equal weights)"


def load_run(out: str | Path, market: MarketData, graph: object | None = None,
             benchmark: str | None = None, features: object | None = None) -> RunView:
    """Read a run's output folder; ValueError (in words) where something needed is missing."""
    folder = Path(out)
    for name in ("metrics.json", "equity.csv", "trades.csv", "fills.csv"):
        if not (folder / name).is_file():
            if (folder / "sweep.csv").is_file():
                raise ValueError(f"{folder} holds a sweep (sweep.csv); a report draws one run: "
                                 f"run one point with --set and --out")
            raise ValueError(f"{folder} has no {name}: it is written by `flowc run ... --out {folder}`")
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    equity_frame = pd.read_csv(folder / "equity.csv")
    if len(equity_frame) != market.n_steps:
        raise ValueError(f"{folder}/equity.csv has {len(equity_frame)} steps but the data now has "
                         f"{market.n_steps}: the data changed since the run (`flowc run --reproduce {folder}` "
                         f"says which input)")
    equity = equity_frame["equity"].to_numpy(dtype=float)
    drawdown = equity_frame["drawdown"].to_numpy(dtype=float)
    cash0 = manifest.get("cash")
    if cash0 is None:  # total_return = E_last / cash0 - 1
        final, total = metrics.get("final_equity"), metrics.get("total_return")
        cash0 = final / (1.0 + total) if final is not None and total not in (None, -1.0) else equity[0]
    cash0 = float(cash0)
    symbols = [benchmark] if benchmark else list(market.symbols)
    unknown = [s for s in symbols if s not in market.symbols]
    if unknown:
        raise ValueError(f"--benchmark {unknown[0]}: no such symbol; the symbols are {', '.join(market.symbols)}")
    bench = buy_and_hold(market, cash0, symbols)
    fills = pd.read_csv(folder / "fills.csv")
    trades = pd.read_csv(folder / "trades.csv")
    index = pd.DatetimeIndex(pd.to_datetime(market.timestamps), name="timestamp")
    positions = positions_over_time(fills, market)
    traded = fills.groupby("symbol")["quantity"].count() if len(fills) else pd.Series(dtype=float)
    order = sorted(range(market.n_symbols), key=lambda j: (-int(traded.get(market.symbols[j], 0)), j))
    view = RunView(
        out=folder, workflow=str(metrics.get("workflow") or manifest.get("workflow", {}).get("name", "")),
        metrics=metrics, manifest=manifest, market=market, index=index, cash0=cash0, equity=equity,
        drawdown=drawdown, benchmark_symbols=symbols, benchmark=bench, benchmark_drawdown=drawdown_of(bench, cash0),
        benchmark_metrics=benchmark_metrics(bench, market, cash0, manifest.get("periods_per_year")),
        positions=positions, trades=trades, markers=fill_markers(fills, trades),
        monthly=monthly_returns(pd.Series(equity, index=index), cash0),
        charted_symbols=order[:MAX_SYMBOL_CHARTS], graph=graph, features=features,
        contributions={c.removeprefix(CONTRIBUTION): equity_frame[c].to_numpy(dtype=float)
                       for c in equity_frame.columns if c.startswith(CONTRIBUTION)})
    if market.n_symbols > MAX_SYMBOL_CHARTS:
        view.notes.append(f"prices are drawn for the {MAX_SYMBOL_CHARTS} most traded of {market.n_symbols} symbols")
    return view


CONTRIBUTION = "contribution:"  # equity.csv's columns of the sleeves' contributions

MARKER_COLUMNS = ("symbol", "step", "price", "kind", "pnl", "return")


def fill_markers(fills: pd.DataFrame, trades: pd.DataFrame) -> pd.DataFrame:
    """The trade markers of the price charts, each at a real fill: its step and its price.

    A fill that opens or adds to a position is a `long entry` or `short entry`; one that reduces or
    closes it is an `exit`, with the P&L and return of the trade it closes (when it closes one); a
    fill that reverses a position is both. Positions are followed per portfolio, sleeve and symbol, as
    trades are. (A
    trade's `entry_price` is the quantity-weighted mean of its opening fills, a price that may
    never have traded, so markers are not drawn from trades.csv.)
    """
    rows: list[tuple] = []
    closed = {}
    if len(trades):
        owner = [trades[c] if c in trades else [""] * len(trades) for c in ("portfolio", "sleeve")]
        keys = zip(*owner, trades["symbol"], trades["exit_step"].astype(int), strict=True)
        for key, pnl, ret in zip(keys, trades["pnl"], trades["return"], strict=True):
            closed[key] = (float(pnl), float(ret))
    held: dict[tuple, float] = {}
    for f in fills.itertuples(index=False):
        key = (getattr(f, "portfolio", ""), getattr(f, "sleeve", ""), f.symbol)
        before = held.get(key, 0.0)
        after = before + float(f.quantity)
        held[key] = after
        step, price = int(f.step), float(f.price)
        if before != 0.0 and (after == 0.0 or np.sign(after) != np.sign(before) or abs(after) < abs(before)):
            pnl, ret = closed.get((*key, step), (np.nan, np.nan))
            rows.append((f.symbol, step, price, "exit", pnl, ret))
        if after != 0.0 and (before == 0.0 or np.sign(after) != np.sign(before) or abs(after) > abs(before)):
            rows.append((f.symbol, step, price, "long entry" if after > 0 else "short entry", np.nan, np.nan))
    return pd.DataFrame(rows, columns=list(MARKER_COLUMNS))


def buy_and_hold(market: MarketData, cash0: float, symbols: Sequence[str]) -> np.ndarray:
    """The equity of `cash0` split equally over `symbols`, each share bought at the symbol's first
    close and held (fractional units, no costs), marked at the last known close; a symbol's share
    stays cash until its first bar."""
    steps = np.arange(market.n_steps)
    share = cash0 / len(symbols)
    total = np.zeros(market.n_steps)
    for symbol in symbols:
        j = market.symbols.index(symbol)
        present = market.present[:, j]
        if not present.any():
            total += share
            continue
        first = int(np.argmax(present))
        close = pd.Series(market.close[:, j]).ffill().to_numpy()
        total += np.where(steps < first, share, share * close / market.close[first, j])
    return total


def drawdown_of(equity: np.ndarray, cash0: float) -> np.ndarray:
    """`1 - E_t / max(cash0, E_0..E_t)`, as the spec defines drawdown."""
    peak = np.maximum.accumulate(np.maximum(equity, cash0)) if len(equity) else equity
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - equity / peak


def benchmark_metrics(equity: np.ndarray, market: MarketData, cash0: float,
                      periods_per_year: float | None) -> dict[str, float | None]:
    """The return metrics of the benchmark, computed by the same code as the run's."""
    from flowc.runtime.metrics import compute_metrics
    from flowc.runtime.trades import TRADE_DTYPE

    try:
        found = compute_metrics(equity=equity, timestamps=market.timestamps, cash0=cash0,
                                trades=np.zeros(0, TRADE_DTYPE), fill_notional=np.zeros(0),
                                exposed=np.ones(len(equity), dtype=bool), bars=market.bars,
                                steps=market.n_steps, n_symbols=market.n_symbols,
                                periods_per_year=periods_per_year)
    except Exception:  # too few steps to annualise: show what can be shown
        found = {"final_equity": float(equity[-1]) if len(equity) else None,
                 "total_return": float(equity[-1] / cash0 - 1.0) if len(equity) else None}
    keep = ("final_equity", "total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar")
    return {k: found.get(k) for k in keep}


def positions_over_time(fills: pd.DataFrame, market: MarketData) -> np.ndarray:
    """`[T, S]`: the summed position of every portfolio at the end of each step, from the fills."""
    change = np.zeros((market.n_steps, market.n_symbols))
    if len(fills):
        column = {s: j for j, s in enumerate(market.symbols)}
        for (step, symbol), quantity in fills.groupby(["step", "symbol"])["quantity"].sum().items():
            if symbol in column and 0 <= int(step) < market.n_steps:
                change[int(step), column[symbol]] += quantity
    return np.cumsum(change, axis=0)


def monthly_returns(equity: pd.Series, cash0: float) -> pd.DataFrame:
    """Each month's return (last equity of the month over the previous month's, the first over
    `cash0`), as a table of years by months; NaN where a month has no step."""
    if equity.empty:
        return pd.DataFrame(columns=range(1, 13), dtype=float)
    month_end = equity.resample("ME").last().dropna()
    before = month_end.shift(1)
    before.iloc[0] = cash0
    returns = month_end / before - 1.0
    table = pd.DataFrame({"year": returns.index.year, "month": returns.index.month, "r": returns.to_numpy()})
    grid = table.pivot(index="year", columns="month", values="r").reindex(columns=range(1, 13))
    return grid.sort_index()


def yearly_returns(monthly: pd.DataFrame) -> pd.Series:
    """Compounded return of each year's months."""
    return (1.0 + monthly.fillna(0.0)).prod(axis=1) - 1.0


def shown(value: object, key: str = "") -> str:
    """A metric as text: fractions that are rates as percentages, counts with separators."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if key in PERCENT and isinstance(value, (int, float)):
        return f"{100.0 * value:,.2f}%"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


PERCENT = {"total_return", "cagr", "volatility", "max_drawdown", "win_rate", "best_trade", "worst_trade",
           "expectancy", "exposure"}
METRIC_ROWS = ("final_equity", "total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar",
               "trades", "win_rate", "avg_trade", "best_trade", "worst_trade", "profit_factor", "expectancy",
               "avg_bars_held", "sqn", "max_losing_streak", "exposure", "turnover", "open_trades", "unfilled", "bars",
               "steps", "symbols")


# ---- what a researcher reads beside the equity: drawdown periods, rolling figures, decimation ----

DRAWDOWN_ROWS = 5
ROLLING_YEAR_FRACTION = 0.25  # the rolling window: a quarter of a year of steps
MAX_POINTS = 2_000  # a drawn line longer than this is decimated (`decimate`)


@dataclass
class DrawdownPeriod:
    start: int  # the step of the peak the decline is measured from
    trough: int  # the step of the deepest point
    recovery: int | None  # the first step back at the peak; None while not recovered
    depth: float  # the drawdown at the trough, a positive fraction
    length: int  # steps from the peak to the recovery (or to the last step)


def drawdown_periods(drawdown: np.ndarray, top: int = DRAWDOWN_ROWS) -> list[DrawdownPeriod]:
    """The `top` deepest drawdowns, deepest first: each maximal run of steps below the running peak,
    from the peak before it (step 0 when the run starts there: the peak is the starting cash) to the
    first step back at the peak."""
    below = np.nan_to_num(drawdown) > 0.0
    periods = []
    t, n = 0, len(drawdown)
    while t < n:
        if not below[t]:
            t += 1
            continue
        end = t
        while end < n and below[end]:
            end += 1
        trough = t + int(np.argmax(drawdown[t:end]))
        start = max(t - 1, 0)
        recovery = end if end < n else None
        periods.append(DrawdownPeriod(start, trough, recovery, float(drawdown[trough]),
                                      (recovery if recovery is not None else n - 1) - start))
        t = end
    return sorted(periods, key=lambda p: (-p.depth, p.start))[:top]


def rolling_window(periods_per_year: float | None, steps: int) -> int:
    """A quarter of a year of steps (63 daily bars), at least 2 and at most the run's steps."""
    per_year = periods_per_year or 252.0
    return int(max(2, min(steps, round(per_year * ROLLING_YEAR_FRACTION))))


def rolling_figures(equity: np.ndarray, cash0: float, window: int,
                    periods_per_year: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Annualised rolling volatility and Sharpe of the step returns over the last `window` steps
    (ddof 1, no risk-free rate, as `metrics` defines them); NaN until `window` returns exist."""
    per_year = periods_per_year or 252.0
    before = np.concatenate([[cash0], equity[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = pd.Series(equity / before - 1.0)
    mean = returns.rolling(window).mean().to_numpy()
    std = returns.rolling(window).std(ddof=1).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = np.where(std > 0, mean / std * math.sqrt(per_year), np.nan)
    return std * math.sqrt(per_year), sharpe


def decimate(values: np.ndarray, limit: int = MAX_POINTS) -> np.ndarray:
    """The steps a line of `values` is drawn at: all of them up to `limit`; beyond, the series is cut
    into `limit / 2` equal buckets and each keeps the steps of its lowest and highest value (so
    peaks, troughs and the worst drawdown stay exact), plus the first and last step."""
    n = len(values)
    if n <= limit:
        return np.arange(n)
    filled = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    edges = np.linspace(0, n, limit // 2 + 1).astype(int)
    keep = {0, n - 1}
    for lo, hi in itertools.pairwise(edges):
        if hi > lo:
            keep.add(lo + int(np.argmin(filled[lo:hi])))
            keep.add(lo + int(np.argmax(filled[lo:hi])))
    return np.array(sorted(keep))


PRICE_LIKE = 0.2  # a feature within 20 % of the close (median over its steps) is drawn on the price
MAX_FEATURE_PANELS = 3


def feature_panels(view: RunView, j: int) -> tuple[list[tuple[str, np.ndarray]], list[tuple[str, np.ndarray]]]:
    """The FEATURE series of symbol `j` as (on the price, in panels of their own), by scale: a series
    whose median distance from the close is within `PRICE_LIKE` (moving averages, bands, channels)
    overlays the price; any other (rsi, returns, volatility, z-scores) gets a panel below, at most
    `MAX_FEATURE_PANELS` of them in declaration order. A series with no value is left out."""
    from flowc.compiler.schema import Roles

    found = view.features
    if found is None:
        return [], []
    close = view.market.close[:, j]
    overlays, panels = [], []
    for c, (name, role) in enumerate(zip(found.columns, found.roles, strict=True)):
        values = found.values[:, j, c]
        both = np.isfinite(values) & np.isfinite(close) & (close != 0)
        if role != Roles.FEATURE or not both.any():
            continue
        if float(np.median(np.abs(values[both] / close[both] - 1.0))) <= PRICE_LIKE:
            overlays.append((name, values))
        elif len(panels) < MAX_FEATURE_PANELS:
            panels.append((name, values))
    return overlays, panels


def relative_to_benchmark(equity: np.ndarray, benchmark: np.ndarray, cash0: float,
                          periods_per_year: float | None) -> dict[str, float]:
    """Beta, annualised alpha and correlation of the run's step returns against the benchmark's:
    beta = cov(r, b) / var(b) (ddof 1), alpha = (mean(r) - beta * mean(b)) * periods_per_year, no
    risk-free rate; NaN where the benchmark does not move or there are fewer than 2 steps."""
    def returns(values: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return values / np.concatenate([[cash0], values[:-1]]) - 1.0

    r, b = returns(equity), returns(benchmark)
    both = np.isfinite(r) & np.isfinite(b)
    r, b = r[both], b[both]
    if len(r) < 2 or float(np.var(b, ddof=1)) == 0.0:
        return {"beta": math.nan, "alpha": math.nan, "correlation": math.nan}
    beta = float(np.cov(r, b, ddof=1)[0, 1] / np.var(b, ddof=1))
    spread = float(np.std(r, ddof=1))
    return {"beta": beta, "alpha": (float(np.mean(r)) - beta * float(np.mean(b))) * (periods_per_year or 252.0),
            "correlation": float(np.corrcoef(r, b)[0, 1]) if spread > 0 else math.nan}
