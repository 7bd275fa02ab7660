"""Static PNGs of the report's charts, with matplotlib (no display, no pyplot state).

The same `RunView` as the HTML page, the same charts: `metrics.png`, `equity.png`,
`drawdown.png`, `price-<SYMBOL>.png` for each drawn symbol, `trade_returns.png`,
`monthly_returns.png` and `topology.png`, in a `charts/` folder beside `report.html`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from flowc.tools.report import topology
from flowc.tools.report.model import METRIC_ROWS, MONTHS, RunView, shown

STRATEGY, BENCH, LOSS, GAIN = "#1f5fa8", "#8c8c8c", "#c0392b", "#1e8449"
DPI = 100


def _figure(width: float = 11.0, height: float = 4.0):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _save(fig, folder: Path, name: str) -> Path:
    path = folder / name
    tmp = folder / f".{name}.tmp.png"
    fig.savefig(tmp, dpi=DPI)
    tmp.replace(path)
    return path


def _file_name(symbol: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", symbol)


def write_all(view: RunView, folder: str | Path) -> list[Path]:
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    x = view.index.to_numpy()
    written = []
    label = view.workflow or "strategy"

    fig = _figure(7.5, 0.32 * (len(METRIC_ROWS) + 2))
    ax = fig.add_subplot()
    ax.axis("off")
    rows = [[k, shown(view.metrics[k], k), shown(view.benchmark_metrics[k], k) if k in view.benchmark_metrics else ""]
            for k in METRIC_ROWS if k in view.metrics]
    table = ax.table(cellText=rows, colLabels=["metric", label, view.benchmark_label], loc="center",
                     cellLoc="right", colLoc="right", edges="horizontal")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.scale(1.0, 1.25)
    for (row, column), cell in table.get_celld().items():
        if column == 0:
            cell.set_text_props(ha="left", fontweight="bold")
            cell.PAD = 0.03
        if row == 0:
            cell.set_text_props(fontweight="bold")
    ax.set_title(f"Metrics: {label}", loc="left")
    written.append(_save(fig, out, "metrics.png"))

    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(x, view.equity, color=STRATEGY, linewidth=1.3, label=label)
    ax.plot(x, view.benchmark, color=BENCH, linewidth=1.0, label=view.benchmark_label)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title("Equity and buy-and-hold benchmark", loc="left")
    ax.legend(loc="upper left", frameon=False)
    ax.grid(alpha=0.3)
    written.append(_save(fig, out, "equity.png"))

    fig = _figure(11.0, 3.2)
    ax = fig.add_subplot()
    ax.fill_between(x, -view.drawdown, 0.0, color=LOSS, alpha=0.35, linewidth=0, label=label)
    ax.plot(x, -view.drawdown, color=LOSS, linewidth=0.8)
    ax.plot(x, -view.benchmark_drawdown, color=BENCH, linewidth=0.8, linestyle=":", label=view.benchmark_label)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title("Drawdown", loc="left")
    ax.legend(loc="lower left", frameon=False)
    ax.grid(alpha=0.3)
    written.append(_save(fig, out, "drawdown.png"))

    trades = view.trades
    for j in view.charted_symbols:
        symbol = view.market.symbols[j]
        fig = _figure(11.0, 5.0)
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[0.72, 0.28])
        present = view.market.present[:, j]
        top.plot(x[present], view.market.close[present, j], color="#34495e", linewidth=0.8, label=f"{symbol} close")
        mine = view.markers[view.markers["symbol"] == symbol]  # at real fills (`model.fill_markers`)
        for kind, marker, size, color in (("long entry", "^", 28, GAIN), ("short entry", "v", 28, LOSS),
                                          ("exit", "x", 22, "#222222")):
            part = mine[mine["kind"] == kind]
            if len(part):
                top.scatter(x[part["step"].to_numpy()], part["price"], marker=marker, s=size, color=color,
                            label=kind, zorder=3)
        top.set_title(f"{symbol}: price, trades and position", loc="left")
        top.legend(loc="upper left", frameon=False, fontsize=8)
        top.grid(alpha=0.3)
        bottom.fill_between(x, view.positions[:, j], 0.0, step="post", color=STRATEGY, alpha=0.35, linewidth=0)
        bottom.step(x, view.positions[:, j], where="post", color=STRATEGY, linewidth=0.8)
        bottom.set_ylabel("position")
        bottom.grid(alpha=0.3)
        bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(bottom.xaxis.get_major_locator()))
        written.append(_save(fig, out, f"price-{_file_name(symbol)}.png"))

    fig = _figure(8.0, 3.6)
    ax = fig.add_subplot()
    returns = trades["return"].to_numpy(dtype=float) * 100.0 if len(trades) else np.zeros(0)
    if len(returns):
        bins = np.linspace(returns.min(), returns.max(), 41) if returns.max() > returns.min() else 10
        ax.hist(returns[returns > 0], bins=bins, color=GAIN, alpha=0.75, label="wins")
        ax.hist(returns[returns <= 0], bins=bins, color=LOSS, alpha=0.75, label="losses and flat")
        ax.legend(frameon=False)
    else:
        ax.text(0.5, 0.5, "no closed trades", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("trade return (%)")
    ax.set_ylabel("trades")
    ax.set_title("Distribution of trade returns", loc="left")
    ax.grid(alpha=0.3)
    written.append(_save(fig, out, "trade_returns.png"))

    monthly = view.monthly
    z = monthly.to_numpy(dtype=float) * 100.0
    fig = _figure(10.0, max(2.4, 0.3 * len(monthly) + 1.2))
    ax = fig.add_subplot()
    limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    image = ax.imshow(np.ma.masked_invalid(z), cmap="RdYlGn", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(12), MONTHS)
    ax.set_yticks(range(len(monthly)), [str(y) for y in monthly.index])
    ax.xaxis.tick_top()
    for (r, c), v in np.ndenumerate(z):
        if np.isfinite(v):
            ax.text(c, r, f"{v:.1f}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, label="%")
    ax.set_title("Monthly returns (%)", loc="left")
    written.append(_save(fig, out, "monthly_returns.png"))

    if view.graph is not None:
        drawing = topology.layout(view.graph)
        fig = _figure(drawing.width / DPI, drawing.height / DPI)
        topology.draw(fig.add_subplot(), drawing)
        written.append(_save(fig, out, "topology.png"))
    return written
