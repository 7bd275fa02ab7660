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
from flowc.runtime.sleeves import contribution, held, last_closes, sleeves_of
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
    trades: np.ndarray  # TRADE_DTYPE plus the portfolio and risk (sleeve) index, closed round trips
    open_trades: np.ndarray
    portfolio_metrics: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    sleeve_metrics: list[dict[str, str | float | int | None]] = field(default_factory=list)  # `SLEEVE_KEYS` each
    contributions: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # (portfolio, risk) -> [T]
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
        for (j, r), curve in self.contributions.items():
            frame[f"contribution:{self.sleeve_name(j, r)}"] = curve
        return frame

    def sleeve_name(self, portfolio: int, risk: int) -> str:
        """A sleeve as tables name it: its risk container's path, after its portfolio's when there are several."""
        name = self.ledger.risks[risk]
        return name if len(self.ledger.portfolios) == 1 else f"{self.ledger.portfolios[portfolio]}:{name}"

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
            "execution": np.array(self.ledger.executions, dtype=object)[f["execution"]] if len(f) else [],
            "sleeve": np.array(self.ledger.risks, dtype=object)[f["risk"]] if len(f) else []})

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
            "portfolio": np.array(self.ledger.portfolios, dtype=object)[t["portfolio"]] if len(t) else [],
            "sleeve": np.array(self.ledger.risks, dtype=object)[t["risk"]] if len(t) else []})

    def positions(self) -> pd.DataFrame:
        """Per portfolio and symbol at the end: position, average price, realised and unrealised P&L.

        The average price is the entry price of the open trade (the quantity-weighted mean of its
        opening fills; where several sleeves hold the symbol, the mean of their entry prices weighted
        by their positions); realised P&L sums the closed trades and the realised part of the open
        ones (commissions included); unrealised P&L marks the open positions at the last known close,
        in cash (times a future's multiplier).
        """
        import pandas as pd

        close = self.market.close
        last = np.array([close[self.market.present[:, s], s][-1] if self.market.present[:, s].any() else np.nan
                         for s in range(len(self.market.symbols))])
        multiplier = self.ledger.multipliers(len(self.market.symbols))
        rows = []
        for j, name in enumerate(self.ledger.portfolios):
            closed = self.trades[self.trades["portfolio"] == j]
            still_open = self.open_trades[self.open_trades["portfolio"] == j]
            for s, symbol in enumerate(self.market.symbols):
                realised = float(closed["pnl"][closed["symbol"] == s].sum())
                held = still_open[still_open["symbol"] == s]
                position = float(self.ledger.positions[j, s])
                average = float(held["entry_price"][0]) if len(held) == 1 else (
                    float((held["position"] * held["entry_price"]).sum() / position) if len(held) else np.nan)
                realised += float(held["pnl"].sum())
                marked = float((held["position"] * (last[s] - held["entry_price"])).sum()) if len(held) else 0.0
                unrealised = marked * float(multiplier[s])
                rows.append({"portfolio": name, "symbol": symbol, "position": position, "average_price": average,
                             "last_close": last[s], "realised_pnl": realised, "unrealised_pnl": unrealised})
        return pd.DataFrame(rows)

    # ---- files ----

    def write(self, out: str | Path, extra: dict[str, object] | None = None) -> None:
        """metrics.json, equity.csv, trades.csv, orders.csv, fills.csv, positions.csv; each written atomically."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        metrics = {**self.metrics, **(extra or {})}
        metrics["portfolios"] = self.portfolio_metrics
        metrics["sleeves"] = self.sleeve_metrics
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


FILL_COLUMNS = ("step", "symbol", "quantity", "price", "commission", "portfolio", "risk")  # ledger_metrics_nb's fills
SLEEVE_KEYS = ("pnl", "return_contribution", "fills", "commission", "trades", "win_rate", "avg_trade", "best_trade",
               "worst_trade", "profit_factor", "expectancy", "avg_bars_held", "sqn", "max_losing_streak", "exposure",
               "turnover")  # a sleeve's metrics (docs/language.md, section 11)


def summarise(workflow: str, ledger: Ledger, market: MarketData, periods_per_year: float | None, *,
              compiled: bool = False) -> RunResult:
    """Trades and metrics of a ledger: for the whole run, for each portfolio and for each of its sleeves.

    The kernels run compiled, or interpreted where that costs less than loading or compiling
    them (`tiers.kernel_form`: a small ledger's summary does not wait for their compile); always
    compiled with `compiled`.
    """
    n_symbols, n_steps = len(market.symbols), len(market.timestamps)
    work = ledger.equity.size + len(ledger.fills)
    trades_kernel, metrics_kernel, ledger_metrics = (
        k if compiled else kernel_form(k, work) for k in (trades_nb, metrics_nb, ledger_metrics_nb))
    n_risks = max(len(ledger.risks), 1)
    multiplier = np.ascontiguousarray(ledger.multipliers(n_symbols))
    trades, open_trades = [], []
    for j in range(len(ledger.portfolios)):  # a trade is one sleeve's round trip in one symbol (section 9a)
        f = ledger.fills[ledger.fills["portfolio"] == j]
        closed, still_open = build_trades(f["step"], f["risk"] * n_symbols + f["symbol"], f["quantity"], f["price"],
                                          f["commission"], n_symbols=n_symbols * n_risks, kernel=trades_kernel,
                                          multiplier=np.tile(multiplier, n_risks))
        trades.append(_with_owner(closed, j, n_symbols))
        open_trades.append(_with_owner(still_open, j, n_symbols))
    all_trades, all_open = np.concatenate(trades), np.concatenate(open_trades)
    timestamps = as_us(market.timestamps)
    bars = int(market.present.sum())
    columns = (np.ascontiguousarray(ledger.fills[name]) for name in FILL_COLUMNS)
    total = as_metrics(ledger_metrics(np.ascontiguousarray(ledger.equity), np.ascontiguousarray(ledger.exposed),
                                      ledger.cash0, *columns, timestamps, known_periods(timestamps, periods_per_year),
                                      bars, n_symbols, multiplier))

    def metrics_of(j: int, fills: np.ndarray, closed: np.ndarray) -> dict[str, float | int | None]:
        return compute_metrics(
            equity=ledger.equity[:, j], timestamps=market.timestamps, cash0=float(ledger.cash0[j]), trades=closed,
            fill_notional=(np.abs(fills["quantity"]) * fills["price"]) * multiplier[fills["symbol"]],
            exposed=held(fills, n_steps), bars=bars,
            steps=n_steps, n_symbols=n_symbols, periods_per_year=periods_per_year, kernel=metrics_kernel)

    per_portfolio = {}
    for j, name in enumerate(ledger.portfolios):
        mine = all_trades[all_trades["portfolio"] == j]
        per_portfolio[name] = metrics_of(j, ledger.fills[ledger.fills["portfolio"] == j], mine)
        final = per_portfolio[name]["final_equity"]
        per_portfolio[name]["pnl"] = None if final is None else _finite(final - float(ledger.cash0[j]))
    closes = last_closes(market.close, market.present)
    contributions, per_sleeve = {}, []
    for j, r in sleeves_of(ledger.fills, len(ledger.portfolios), len(ledger.risks)):
        fills = ledger.fills[(ledger.fills["portfolio"] == j) & (ledger.fills["risk"] == r)]
        contributions[j, r] = contribution(fills, closes, multiplier)
        found = metrics_of(j, fills, all_trades[(all_trades["portfolio"] == j) & (all_trades["risk"] == r)])
        pnl = float(contributions[j, r][-1]) if n_steps else 0.0
        cash0 = float(ledger.cash0[j])
        found.update(pnl=pnl, return_contribution=pnl / cash0 if cash0 > 0 else None, fills=len(fills),
                     commission=float(fills["commission"].sum()))
        per_sleeve.append({"portfolio": ledger.portfolios[j], "sleeve": ledger.risks[r],
                           **{k: _finite(found[k]) for k in SLEEVE_KEYS}})
    return RunResult(workflow, ledger, market, total, all_trades, all_open, per_portfolio, per_sleeve, contributions,
                     interpreted=ledger_metrics is not ledger_metrics_nb)


def _with_owner(trades: np.ndarray, portfolio: int, n_symbols: int) -> np.ndarray:
    """A portfolio's trades, their positions keyed `risk * n_symbols + symbol`, with portfolio, symbol and risk."""
    dtype = np.dtype([*trades.dtype.descr, ("portfolio", "i8"), ("risk", "i8")])
    out = np.zeros(len(trades), dtype=dtype)
    for name in trades.dtype.names:
        out[name] = trades[name]
    out["portfolio"] = portfolio
    out["symbol"], out["risk"] = trades["symbol"] % n_symbols, trades["symbol"] // n_symbols
    return out


def _finite(value: float | int | None) -> float | int | None:
    return None if isinstance(value, float) and not np.isfinite(value) else value
