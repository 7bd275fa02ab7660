"""Reports of a finished run: `report.html` (one self-contained page) and PNG charts.

Why it exists: a backtest is read more than it is run. `flowc run ... --report --out DIR` and
`flowc report DIR` draw the metrics table, the equity against a buy-and-hold benchmark, the
drawdown and its five worst periods, rolling Sharpe and volatility, the price of each symbol with
its features, trades and position, the distribution of trade returns, the monthly returns as a
heat map and the workflow's topology (docs/report.md defines each).

The charts need the optional `report` extra (plotly for the page, whose JavaScript is inlined so
the page opens offline; matplotlib for the PNGs). The core install stays without them, so this
package imports them only inside the functions that draw.
"""

from __future__ import annotations

from pathlib import Path

from flowc.runtime.data import MarketData

EXTRA_HINT = "pip install 'flowc[report]'"


class ReportUnavailable(RuntimeError):
    """The plotting libraries of the `report` extra are not installed."""


def check_available() -> None:
    """Raise ReportUnavailable, saying how to install them, unless plotly and matplotlib import."""
    missing = []
    for module in ("plotly", "matplotlib"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ReportUnavailable(f"reports need {' and '.join(missing)}: {EXTRA_HINT}")


def write_report(out: str | Path, market: MarketData, graph: object | None = None, *,
                 benchmark: str | None = None, png: bool = True, features: object | None = None) -> list[Path]:
    """Write `report.html` (and `charts/*.png`) for the run in `out`; return the files written.

    `market` holds the prices of exactly the steps of the run's results; `graph` is the workflow's
    FlowGraph (None leaves the topology out); `benchmark` picks the buy-and-hold symbol (default:
    the one recorded in the manifest, else every symbol in equal parts); `features` (runtime.features.Features of
    the run) are drawn with the prices.
    """
    check_available()
    from flowc.runtime.files import write_text
    from flowc.tools.report import html, model

    folder = Path(out)
    if benchmark is None:
        benchmark = _recorded_benchmark(folder)
    view = model.load_run(folder, market, graph, benchmark, features)
    page = folder / "report.html"
    write_text(page, html.render(view))
    written = [page]
    if png:
        from flowc.tools.report import png as png_charts

        written += png_charts.write_all(view, folder / "charts")
    return written


def _recorded_benchmark(folder: Path) -> str | None:
    import json

    path = folder / "manifest.json"
    if not path.is_file():
        return None
    try:
        return (json.loads(path.read_text(encoding="utf-8")).get("run") or {}).get("benchmark")
    except (OSError, ValueError):
        return None


def write_sweeps_report(out: str | Path) -> Path:
    """Write the report of a sweep's `--out` folder (`sweep_report.html`) or of a walk-forward's
    (`walk_forward_report.html`, told by its `walk_forward.json`); return the page."""
    check_available()
    if (Path(out) / "walk_forward.json").is_file():
        from flowc.tools.report.walk_forward import write_walk_forward_report

        return write_walk_forward_report(out)
    from flowc.tools.report.sweep import write_sweep_report

    return write_sweep_report(out)
