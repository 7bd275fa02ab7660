"""A finished run as users see it: metrics, trades and tables, computed once from the ledger.

Every engine's ledger goes through this one module, so metrics and trades
cannot differ between engines except through what the engines recorded.
Tables become pandas objects here, at the edge (pandas is imported only when a table is asked
for: a run that prints its metrics never loads it); files are written
atomically (temporary file, then rename) and only after the run succeeded,
so a failed run leaves no partial output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from flowc.runtime.data import MarketData
from flowc.runtime.files import write_text
from flowc.runtime.ledger import ORDER_STATUS, Ledger
from flowc.runtime.metrics import as_metrics, as_us, compute_metrics, known_periods, ledger_metrics_nb, metrics_nb
from flowc.runtime.tiers import kernel_form
from flowc.runtime.trades import build_trades, trades_nb

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RunResult:
    workflow: str
    ledger: Ledger
    market: MarketData
    metrics: dict[str, float | int | None]
    trades: np.ndarray  # TRADE_DTYPE plus the portfolio index, closed round trips
    open_trades: np.ndarray
    portfolio_metrics: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    interpreted: bool = False  # whether the summary's kernels ran interpreted (`tiers.kernel_form`)

    # ---- pandas at the edge ----

    @property
    def index(self) -> pd.DatetimeIndex:
        import pandas as pd

        return pd.DatetimeIndex(pd.to_datetime(self.market.timestamps), name="timestamp")

    def equity(self) -> pd.DataFrame:
        """One row per step: total equity, cash and drawdown (and each portfolio's equity when several)."""
        import pandas as pd

        total = self.ledger.equity.sum(axis=1)
        peak = np.maximum.accumulate(np.maximum(total, self.ledger.cash0.sum()))
        frame = pd.DataFrame({"equity": total, "cash": self.ledger.cash.sum(axis=1),
                              "drawdown": 1.0 - total / peak}, index=self.index)
        if len(self.ledger.portfolios) > 1:
            for j, name in enumerate(self.ledger.portfolios):
                frame[f"equity:{name}"] = self.ledger.equity[:, j]
        return frame

    def _symbols(self, index: np.ndarray) -> np.ndarray:
        return np.array(self.market.symbols, dtype=object)[index] if len(index) else np.array([], dtype=object)

    def _time(self, steps: np.ndarray) -> pd.DatetimeIndex:
        import pandas as pd

        return pd.DatetimeIndex(pd.to_datetime(self.market.timestamps[steps]))

    def orders(self) -> pd.DataFrame:
        import pandas as pd

        o = self.ledger.orders
        return pd.DataFrame({
            "timestamp": self._time(o["step"]), "step": o["step"], "symbol": self._symbols(o["symbol"]),
            "quantity": o["quantity"], "price": o["price"],
            "risk": np.array(self.ledger.risks, dtype=object)[o["risk"]] if len(o) else [],
            "status": np.array(ORDER_STATUS, dtype=object)[o["status"]] if len(o) else []})

    def fills(self) -> pd.DataFrame:
        import pandas as pd

        f = self.ledger.fills
        return pd.DataFrame({
            "timestamp": self._time(f["step"]), "step": f["step"], "symbol": self._symbols(f["symbol"]),
            "quantity": f["quantity"], "price": f["price"], "commission": f["commission"],
            "portfolio": np.array(self.ledger.portfolios, dtype=object)[f["portfolio"]] if len(f) else [],
            "execution": np.array(self.ledger.executions, dtype=object)[f["execution"]] if len(f) else []})

    def trade_table(self) -> pd.DataFrame:
        import pandas as pd

        t = self.trades
        return pd.DataFrame({
            "symbol": self._symbols(t["symbol"]), "direction": t["direction"],
            "entry_time": self._time(t["entry_step"]), "exit_time": self._time(t["exit_step"]),
            "entry_step": t["entry_step"], "exit_step": t["exit_step"], "bars_held": t["exit_step"] - t["entry_step"],
            "quantity": t["quantity"],
            "entry_price": t["entry_price"], "exit_price": t["exit_price"], "pnl": t["pnl"],
            "commission": t["commission"], "return": t["return"],
            "portfolio": np.array(self.ledger.portfolios, dtype=object)[t["portfolio"]] if len(t) else []})

    def positions(self) -> pd.DataFrame:
        """Per portfolio and symbol at the end: position, average price, realised and unrealised P&L.

        The average price is the entry price of the open trade (the quantity-weighted mean of its
        opening fills); realised P&L sums the closed trades and the realised part of the open one
        (commissions included); unrealised P&L marks the open position at the last known close.
        """
        import pandas as pd

        close = self.market.close
        last = np.array([close[self.market.present[:, s], s][-1] if self.market.present[:, s].any() else np.nan
                         for s in range(len(self.market.symbols))])
        rows = []
        for j, name in enumerate(self.ledger.portfolios):
            closed = self.trades[self.trades["portfolio"] == j]
            still_open = self.open_trades[self.open_trades["portfolio"] == j]
            for s, symbol in enumerate(self.market.symbols):
                realised = float(closed["pnl"][closed["symbol"] == s].sum())
                held = still_open[still_open["symbol"] == s]
                position = float(self.ledger.positions[j, s])
                average = float(held["entry_price"][0]) if len(held) else np.nan
                realised += float(held["pnl"].sum())
                unrealised = position * (last[s] - average) if len(held) else 0.0
                rows.append({"portfolio": name, "symbol": symbol, "position": position, "average_price": average,
                             "last_close": last[s], "realised_pnl": realised, "unrealised_pnl": unrealised})
        return pd.DataFrame(rows)

    # ---- files ----

    def write(self, out: str | Path, extra: dict[str, object] | None = None) -> None:
        """metrics.json, equity.csv, trades.csv, orders.csv, fills.csv, positions.csv; each written atomically."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        metrics = {**self.metrics, **(extra or {})}
        if self.portfolio_metrics:
            metrics["portfolios"] = self.portfolio_metrics
        metrics["unfilled"] = len(self.ledger.unfilled)
        metrics["open_trades"] = len(self.open_trades)
        write_text(folder / "metrics.json", json.dumps(metrics, indent=2, allow_nan=False) + "\n")
        unit = stamp_unit(self.market.timestamps)
        equity = self.equity()
        equity.index = format_stamps(equity.index.values, unit)
        equity.index.name = "timestamp"
        write_text(folder / "equity.csv", equity.to_csv())
        for name, frame in (("trades", self.trade_table()), ("orders", self.orders()), ("fills", self.fills()),
                            ("positions", self.positions())):
            for column in ("timestamp", "entry_time", "exit_time"):
                if column in frame:
                    frame[column] = format_stamps(frame[column].values, unit)
            write_text(folder / f"{name}.csv", frame.to_csv(index=False))


# CSV files hold numbers at full precision: pandas writes the shortest text that reads back as the
# same float (no `float_format`), so a CSV compares exactly with the Python API's values.

_UNITS = ("D", "s", "ms", "us", "ns")


def stamp_unit(timestamps: np.ndarray) -> str:
    """The coarsest unit that holds every timestamp exactly: `D` for daily data (all at midnight),
    else seconds, or the sub-second unit the data needs. Every CSV of a run uses its data's unit."""
    stamps = np.asarray(timestamps).astype("datetime64[ns]")
    stamps = stamps[~np.isnat(stamps)]
    for unit in _UNITS:
        if np.array_equal(stamps.astype(f"datetime64[{unit}]").astype("datetime64[ns]"), stamps):
            return unit
    return "ns"


def format_stamps(timestamps: np.ndarray, unit: str) -> np.ndarray:
    """Timestamps as CSV text in `unit` (`stamp_unit`): `1999-01-04` for daily data,
    `1999-01-04T14:30:00` (and fractions where the data has them) for intraday; NaT as empty."""
    stamps = np.asarray(timestamps).astype("datetime64[ns]")
    text = np.datetime_as_string(stamps, unit=unit).astype(object)
    text[np.isnat(stamps)] = ""
    return text


FILL_COLUMNS = ("step", "symbol", "quantity", "price", "commission", "portfolio")  # ledger_metrics_nb's fills


def summarise(workflow: str, ledger: Ledger, market: MarketData, periods_per_year: float | None, *,
              compiled: bool = False) -> RunResult:
    """Trades and metrics of a ledger, for the whole run and, with several portfolios, for each.

    The kernels run compiled, or interpreted where that costs less than loading or compiling
    them (`tiers.kernel_form`: a small ledger's summary does not wait for their compile); always
    compiled with `compiled`.
    """
    n_symbols = len(market.symbols)
    work = ledger.equity.size + len(ledger.fills)
    trades_kernel, metrics_kernel, ledger_metrics = (
        k if compiled else kernel_form(k, work) for k in (trades_nb, metrics_nb, ledger_metrics_nb))
    trades, open_trades = [], []
    for j in range(len(ledger.portfolios)):
        f = ledger.fills[ledger.fills["portfolio"] == j]
        closed, still_open = build_trades(f["step"], f["symbol"], f["quantity"], f["price"], f["commission"],
                                          n_symbols=n_symbols, kernel=trades_kernel)
        trades.append(_with_portfolio(closed, j))
        open_trades.append(_with_portfolio(still_open, j))
    all_trades, all_open = np.concatenate(trades), np.concatenate(open_trades)
    timestamps = as_us(market.timestamps)
    bars = int(market.present.sum())
    columns = (np.ascontiguousarray(ledger.fills[name]) for name in FILL_COLUMNS)
    total = as_metrics(ledger_metrics(np.ascontiguousarray(ledger.equity), np.ascontiguousarray(ledger.exposed),
                                      ledger.cash0, *columns, timestamps, known_periods(timestamps, periods_per_year),
                                      bars, n_symbols))
    per_portfolio = {}
    if len(ledger.portfolios) > 1:
        for j, name in enumerate(ledger.portfolios):
            fills = ledger.fills[ledger.fills["portfolio"] == j]
            held = np.zeros(len(market.timestamps), dtype=bool)  # exposure is reported for the whole run only
            per_portfolio[name] = compute_metrics(
                equity=ledger.equity[:, j], timestamps=market.timestamps, cash0=float(ledger.cash0[j]),
                trades=trades[j], fill_notional=np.abs(fills["quantity"]) * fills["price"], exposed=held,
                bars=bars, steps=len(timestamps), n_symbols=n_symbols, periods_per_year=periods_per_year,
                kernel=metrics_kernel)
            per_portfolio[name]["exposure"] = None
    return RunResult(workflow, ledger, market, total, all_trades, all_open, per_portfolio,
                     interpreted=ledger_metrics is not ledger_metrics_nb)


def _with_portfolio(trades: np.ndarray, portfolio: int) -> np.ndarray:
    dtype = np.dtype([*trades.dtype.descr, ("portfolio", "i8")])
    out = np.zeros(len(trades), dtype=dtype)
    for name in trades.dtype.names:
        out[name] = trades[name]
    out["portfolio"] = portfolio
    return out
