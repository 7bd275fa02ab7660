"""A finished run as a notebook reads it: `Backtest`, the Python API's result, every table a pandas object.

Why it exists: `RunResult` (the engine's summary) keeps numpy arrays and builds tables on request;
a researcher in a notebook expects attributes in the shape backtesting.py and vectorbt give
(`.stats`, `.trades`, `.equity`, `.plot()`). This wraps one `RunResult` and builds each table
once, on first use; the numbers are the ones `flowc run --out` writes to its CSV files.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from flowc.runtime.metrics import METRIC_KEYS
from flowc.runtime.results import RunResult

if TYPE_CHECKING:
    import pandas as pd

    from flowc.runtime.features import Features
    from flowc.runtime.manager import Prepared
    from flowc.runtime.sweep.walk_forward import WalkForward

CHARTS = ("equity", "drawdown", "price", "trade-returns", "monthly")


class Backtest:
    """One run of one workflow: metrics, tables and charts (see docs/api.md)."""

    def __init__(self, run: RunResult, prepared: Prepared):
        self.run = run  # the engine's summary: the ledger, the market data of the run, trades as arrays
        self.prepared = prepared  # the analysed workflow, its plan and its data

    def __repr__(self) -> str:
        m = self.run.metrics
        return (f"<Backtest {self.workflow}: {m['steps']:,} steps of {m['symbols']} symbol"
                f"{'s' * (m['symbols'] != 1)}, total_return {m['total_return']:.4%}, {m['trades']} trades>")

    @property
    def workflow(self) -> str:
        return self.run.workflow

    @property
    def metrics(self) -> dict[str, float | int | None]:
        """The metrics as `metrics.json` holds them (plain Python numbers, None where undefined)."""
        return self.run.metrics

    @cached_property
    def stats(self) -> pd.Series:
        """Every metric (docs/language.md, section 11) as floats, NaN where undefined, in the table's order."""
        import pandas as pd

        keys = [*METRIC_KEYS, *(k for k in self.run.metrics if k not in METRIC_KEYS)]
        return pd.Series({k: self.run.metrics[k] for k in keys}, name=self.workflow, dtype=float)

    @cached_property
    def equity(self) -> pd.DataFrame:
        """One row per step (a DatetimeIndex): equity, cash, drawdown, portfolios' equity, sleeves' contributions."""
        return self.run.equity()

    @cached_property
    def trades(self) -> pd.DataFrame:
        """The closed round trips, as `trades.csv`."""
        return self.run.trade_table()

    def trade_table(self) -> pd.DataFrame:
        """`trades`, under the name `RunResult` gives it."""
        return self.trades

    @cached_property
    def sleeves(self) -> pd.DataFrame:
        """One row per sleeve of each portfolio: its contribution and trade statistics (`metrics.json`'s `sleeves`)."""
        import pandas as pd

        return pd.DataFrame(self.run.sleeve_metrics).set_index(["portfolio", "sleeve"])

    @cached_property
    def orders(self) -> pd.DataFrame:
        return self.run.orders()

    @cached_property
    def fills(self) -> pd.DataFrame:
        return self.run.fills()

    @cached_property
    def positions(self) -> pd.DataFrame:
        """Per portfolio and symbol at the end: position, average price, realised and unrealised P&L."""
        return self.run.positions()

    @cached_property
    def data_quality(self) -> pd.DataFrame:
        """Per symbol, over the run's steps: bars, first and last timestamp, bars per day, spacing,
        gaps, missing steps and jumps (`runtime/data_quality.py`), as `flowc run -v` prints them."""
        import pandas as pd

        from flowc.runtime.data_quality import summary

        return pd.DataFrame(summary(self.prepared.market, self.prepared.trade_from)).set_index("symbol")

    @cached_property
    def series(self) -> Features:
        """Every feature, regime and signal series as arrays (`runtime/features.py`): one reference run."""
        from flowc.runtime.features import compute

        return compute(self.prepared)

    @cached_property
    def features(self) -> dict[str, pd.DataFrame]:
        """Per symbol, every feature, regime and signal series at the steps where it has a bar, as
        `flowc run --features` writes them (docs/features.md); computed on first use by a reference run."""
        return self.series.frames()

    def save(self, out: str | Path, *, report: bool = False, features: bool = False) -> Path:
        """Write the result files `flowc run --out` writes (metrics.json, equity.csv, trades.csv, ...;
        report.html with `report`, features/ with `features`; not manifest.json, which records a command
        line) into the folder `out`, as one set swapped in by one rename. Returns the folder."""
        from flowc.runtime.files import staged_folder
        from flowc.tools.commands.run import OUT_FILES

        with staged_folder(out, replaces=OUT_FILES) as stage:
            self.run.write(stage, extra={"workflow": self.workflow})
            if features:
                from flowc.runtime.features import write

                write(stage, self.series)
            if report:
                from flowc.tools.report import write_report

                write_report(stage, self.run.market, self.prepared.analysis.graph, features=self.series)
        return Path(out)

    def plot(self, chart: str = "equity", symbol: str | None = None):
        """One chart of the run's report as a plotly Figure (shown inline by Jupyter).

        `chart` is one of `CHARTS`: the equity against buy and hold, the drawdown, the `price` of
        `symbol` (default: the most traded) with the fills and the position, the distribution of
        trade returns, the monthly returns. Needs the `report` extra (`pip install 'flowc[report]'`).
        """
        from flowc.tools.report import check_available

        if chart not in CHARTS:
            raise ValueError(f"chart {chart!r}: the charts are {', '.join(CHARTS)}")
        symbols = self.run.market.symbols
        if symbol is not None and symbol not in symbols:
            raise ValueError(f"symbol {symbol!r}: the symbols are {', '.join(symbols)}")
        check_available()
        from flowc.tools.report import html, model

        with tempfile.TemporaryDirectory(prefix="flowc-plot-") as folder:
            self.run.write(folder, extra={"workflow": self.workflow})
            view = model.load_run(folder, self.run.market, self.prepared.analysis.graph)
            view.charted_symbols = [symbols.index(symbol)] if symbol is not None else view.charted_symbols[:1]
            if chart == "price":
                return html.price_figures(view)[symbols[view.charted_symbols[0]]]
            return html.figures(view)[f"chart-{chart}"]


@dataclass
class WalkForwardResult:
    """A walk-forward as DataFrames: what `flowc run` writes to `walk_forward.json`, `oos_equity.csv`, `sweep.csv`."""

    workflow: str
    objective: str
    windows: pd.DataFrame  # one row per window: train and test dates, the chosen params, in- and out-of-sample metrics
    equity: pd.Series  # the stitched out-of-sample equity, by timestamp
    out_of_sample: pd.Series  # the metrics of the stitched test windows
    in_sample: pd.Series  # the metrics of the best point over all bars (its params in `in_sample_params`)
    in_sample_params: dict[str, object]
    points: pd.DataFrame  # every train-window and whole-data point, as `sweep.csv`

    @classmethod
    def of(cls, result: WalkForward, summary: dict) -> WalkForwardResult:
        import pandas as pd

        from flowc.tools.sweeps.tables import frame

        objective = result.objective
        rows = []
        for w in summary["windows"]:
            row = {k: w[k] for k in ("window", "train_start", "train_end", "test_start", "test_end")}
            row.update({p: (w["chosen"] or {}).get(p) for p in result.params})
            for side, key in (("in_sample", "is"), ("out_of_sample", "oos")):
                metrics = w[side] or {}
                row.update({f"{key}_{m}": metrics.get(m) for m in (objective, "total_return", "trades")})
            rows.append(row)
        windows = pd.DataFrame(rows)
        for column in ("train_start", "train_end", "test_start", "test_end"):
            windows[column] = pd.to_datetime(windows[column]) if len(windows) else windows[column]
        index = pd.DatetimeIndex(pd.to_datetime(result.timestamps), name="timestamp")
        best = summary["in_sample"] or {"params": {}, "metrics": {}}
        return cls(summary["workflow"], objective, windows, pd.Series(result.equity, index=index, name="equity"),
                   pd.Series(summary["out_of_sample"], dtype=float, name="out_of_sample"),
                   pd.Series(best["metrics"], dtype=float, name="in_sample"), dict(best["params"]),
                   frame(result.rows, result.params))
