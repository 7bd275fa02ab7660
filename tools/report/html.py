"""`report.html`: one self-contained page (plotly.js inlined, the topology as inline SVG).

Nothing on the page is fetched: no CDN, no fonts, no images from elsewhere, so it opens offline
and can be mailed as one file. Each chart is a `<div class="flowc-chart">`; when plotly has drawn
it, the div gets `data-drawn="1"` (and the body `data-charts-drawn` once all are done), which is
what the headless-browser test checks.
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from flowc.tools.report import topology
from flowc.tools.report.model import (
    METRIC_ROWS,
    MONTHS,
    RunView,
    decimate,
    drawdown_periods,
    feature_panels,
    relative_to_benchmark,
    rolling_figures,
    rolling_window,
    shown,
    yearly_returns,
)
from flowc.tools.sleeve_table import COLUMNS, LABELS, TOTAL, sleeve_rows, text

STRATEGY, BENCH, LOSS, GAIN = "#1f5fa8", "#8c8c8c", "#c0392b", "#1e8449"
FEATURE_COLORS = ("#e67e22", "#8e44ad", "#16a085", "#d35400", "#2c3e50", "#7f8c8d")
CONFIG = {"displaylogo": False, "responsive": True}


def base_layout(**extra: object) -> dict:
    base = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 30, "b": 40}, "height": 380,
            "hovermode": "x unified", "legend": {"orientation": "h", "y": 1.08, "x": 0}}
    base.update(extra)
    return base


def figures(view: RunView) -> dict[str, object]:
    """Every chart of the page but the price charts as a plotly Figure, keyed by its element id."""
    return {**time_figures(view), **other_figures(view)}


def time_figures(view: RunView) -> dict[str, object]:
    """The charts over the run's steps: equity, drawdown, rolling Sharpe and volatility."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    found: dict[str, object] = {}
    window = rolling_window(view.manifest.get("periods_per_year"), len(view.equity))
    eq = go.Figure(layout=base_layout(yaxis={"title": "equity", "tickformat": ",.0f"}, updatemenus=[LOG_TOGGLE]))
    _line(eq, view, view.equity, name=view.workflow or "strategy", line={"color": STRATEGY, "width": 1.6})
    _line(eq, view, view.benchmark, name=view.benchmark_label, line={"color": BENCH, "width": 1.2})
    found["chart-equity"] = eq

    dd = go.Figure(layout=base_layout(height=300, yaxis={"title": "drawdown", "tickformat": ".0%"}))
    _line(dd, view, -view.drawdown, name=view.workflow or "strategy", fill="tozeroy",
          line={"color": LOSS, "width": 1.0})
    _line(dd, view, -view.benchmark_drawdown, name=view.benchmark_label,
          line={"color": BENCH, "width": 1.0, "dash": "dot"})
    found["chart-drawdown"] = dd

    if view.contributions:
        parts = go.Figure(layout=base_layout(yaxis={"title": "contribution", "tickformat": ",.0f"}))
        for name, curve in view.contributions.items():
            _line(parts, view, curve, name=name, line={"width": 1.2})
        found["chart-sleeves"] = parts

    vol, sharpe = rolling_figures(view.equity, view.cash0, window, view.manifest.get("periods_per_year"))
    rolling = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    rolling.update_layout(base_layout(height=420, yaxis={"title": f"Sharpe ({window} steps)"},
                                  yaxis2={"title": "volatility", "tickformat": ".0%"}))
    _line(rolling, view, sharpe, name="rolling Sharpe", line={"color": STRATEGY, "width": 1.0}, row=1, col=1)
    _line(rolling, view, vol, name="rolling volatility", line={"color": LOSS, "width": 1.0}, row=2, col=1)
    found["chart-rolling"] = rolling
    return found


def price_figures(view: RunView) -> dict[str, object]:
    """The price chart of each charted symbol (one shown at a time, picked in the page's selector)."""
    from plotly.subplots import make_subplots

    markers = view.markers
    found: dict[str, object] = {}
    for j in view.charted_symbols:
        symbol = view.market.symbols[j]
        overlays, panels = feature_panels(view, j)
        rows = 2 + len(panels)
        fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.03,
                            row_heights=[0.56, *[0.44 / (rows - 1)] * (rows - 1)])
        titles = {f"yaxis{r + 3}": {"title": {"text": name.split(":")[-1]}} for r, (name, _) in enumerate(panels)}
        fig.update_layout(base_layout(height=460 + 140 * len(panels), yaxis={"title": "price"},
                                  yaxis2={"title": "position"}, **titles))
        present = np.flatnonzero(view.market.present[:, j])
        _line(fig, view, view.market.close[present, j], steps=present, name=f"{symbol} close",
              line={"color": "#34495e", "width": 1.0}, row=1, col=1)
        for k, (name, values) in enumerate(overlays):
            shown_at = np.flatnonzero(np.isfinite(values))
            _line(fig, view, values[shown_at], steps=shown_at, name=name, legendgroup="features",
                  line={"color": FEATURE_COLORS[k % len(FEATURE_COLORS)], "width": 1.0}, row=1, col=1)
        for r, (name, values) in enumerate(panels):
            shown_at = np.flatnonzero(np.isfinite(values))
            _line(fig, view, values[shown_at], steps=shown_at, name=name, legendgroup="features",
                  line={"color": FEATURE_COLORS[(len(overlays) + r) % len(FEATURE_COLORS)], "width": 1.0},
                  row=3 + r, col=1)
        mine = markers[markers["symbol"] == symbol]  # at real fills (`model.fill_markers`)
        for name, symbol_shape, color in (("long entry", "triangle-up", GAIN), ("short entry", "triangle-down", LOSS)):
            part = mine[mine["kind"] == name]
            if len(part):
                fig.add_scatter(x=part["step"].tolist(), meta=STEPS, y=part["price"].to_numpy(dtype=float),
                                mode="markers", name=name, marker={"symbol": symbol_shape, "size": 9, "color": color},
                                hovertemplate=f"{name} %{{y:.2f}}", row=1, col=1)
        part = mine[mine["kind"] == "exit"]
        if len(part):
            result = part["return"].to_numpy(dtype=float)
            colors = np.where(np.isnan(result), "#222222", np.where(result > 0, GAIN, LOSS)).tolist()
            sizes = np.clip(7 + 60 * np.abs(np.nan_to_num(result)), 7, 16).round(1).tolist()
            fig.add_scatter(x=part["step"].tolist(), meta=STEPS, y=part["price"].to_numpy(dtype=float), mode="markers",
                            name="exit (green: gain, red: loss; size: |return|)",
                            marker={"symbol": "x", "size": sizes, "color": colors},
                            customdata=np.stack([part["pnl"], part["return"]], axis=1).astype(np.float32),
                            hovertemplate="exit %{y:.2f}<br>P&L %{customdata[0]:,.2f} (%{customdata[1]:.2%})",
                            row=1, col=1)
        _line(fig, view, view.positions[:, j], name="position", line={"color": STRATEGY, "width": 1.0, "shape": "hv"},
              fill="tozeroy", row=2, col=1)
        found[symbol] = fig
    return found


def other_figures(view: RunView) -> dict[str, object]:
    import plotly.graph_objects as go

    trades = view.trades
    found: dict[str, object] = {}
    returns = trades["return"].to_numpy(dtype=float) * 100.0 if len(trades) else np.zeros(0)
    hist = go.Figure(layout=base_layout(height=320, barmode="overlay", hovermode="closest",
                                    xaxis={"title": "trade return (%)"}, yaxis={"title": "trades"}))
    hist.add_histogram(x=returns[returns > 0], name="wins", marker={"color": GAIN}, opacity=0.75,
                       xbins={"size": _bin_size(returns)})
    hist.add_histogram(x=returns[returns <= 0], name="losses and flat", marker={"color": LOSS}, opacity=0.75,
                       xbins={"size": _bin_size(returns)})
    if not len(returns):
        hist.add_annotation(text="no closed trades", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    found["chart-trade-returns"] = hist

    monthly = view.monthly
    years = [str(y) for y in monthly.index]
    z = monthly.to_numpy(dtype=float) * 100.0
    text = [["" if np.isnan(v) else f"{v:.1f}" for v in row] for row in z]
    heat = go.Figure(layout=base_layout(height=max(260, 26 * len(years) + 110), hovermode="closest",
                                    margin={"l": 60, "r": 20, "t": 60, "b": 20},
                                    yaxis={"autorange": "reversed", "type": "category"},
                                    xaxis={"side": "top"}))
    limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    heat.add_heatmap(z=z, x=list(MONTHS), y=years, text=text, texttemplate="%{text}", colorscale="RdYlGn",
                     zmid=0.0, zmin=-limit, zmax=limit, colorbar={"title": {"text": "%"}},
                     hovertemplate="%{y} %{x}: %{z:.2f}%<extra></extra>")
    found["chart-monthly"] = heat
    return found


LOG_TOGGLE = {"type": "buttons", "direction": "right", "x": 1.0, "xanchor": "right", "y": 1.18, "showactive": True,
              "buttons": [{"label": "linear", "method": "relayout", "args": [{"yaxis.type": "linear"}]},
                          {"label": "log", "method": "relayout", "args": [{"yaxis.type": "log"}]}]}


def _line(fig: object, view: RunView, values: np.ndarray, steps: np.ndarray | None = None, **trace: object) -> None:
    """Add a line over the steps `steps` (default: all), decimated by `model.decimate`."""
    if steps is None:
        steps = np.arange(len(values))
    values = np.asarray(values)
    if (trace.get("line") or {}).get("shape") == "hv":  # a step line: only where it changes, exactly
        keep = np.flatnonzero(np.r_[True, values[1:] != values[:-1]] | (np.arange(len(values)) == len(values) - 1))
    else:
        keep = decimate(values)
    drawn = steps[keep]
    if len(drawn) and drawn[-1] - drawn[0] == len(drawn) - 1:  # consecutive steps: sent as their range
        fig.add_scatter(meta=f"{STEPS}:{int(drawn[0])}:{len(drawn)}", y=_floats(values[keep]), **trace)
    else:
        fig.add_scatter(x=drawn.tolist(), meta=STEPS, y=_floats(values[keep]), **trace)


STEPS = "steps"  # x are step numbers (or `steps:FIRST:COUNT`), made the run's dates on the page (sent once)


def _dates(index: pd.DatetimeIndex) -> list[str]:
    """Timestamps as short text: the date alone where every one is at midnight."""
    daily = bool(len(index)) and bool((index.normalize() == index).all())
    return list(index.strftime("%Y-%m-%d" if daily else "%Y-%m-%d %H:%M"))


def _floats(values: object) -> np.ndarray:
    """Drawn values as float32 (7 significant digits, far finer than a pixel), which plotly writes
    as 4 bytes of base64 each instead of 8."""
    return np.asarray(values, dtype=np.float32)


def _bin_size(returns: np.ndarray) -> float:
    if len(returns) < 2:
        return 1.0
    spread = float(np.max(returns) - np.min(returns))
    return max(spread / 40.0, 1e-6)


# ---- the page ---------------------------------------------------------------------------


def render(view: RunView) -> str:
    import plotly
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    charts = figures(view)
    payload = ",\n".join(f"{json.dumps(key)}: {pio.to_json(fig, validate=False)}" for key, fig in charts.items())
    prices = price_figures(view)
    symbol_payload = ",\n".join(f"{json.dumps(k)}: {pio.to_json(fig, validate=False)}" for k, fig in prices.items())
    payload = payload.replace("</", "<\\/")
    symbol_payload = symbol_payload.replace("</", "<\\/")
    e = html.escape
    sections = [_header(view), _metrics_table(view)]
    sections.append(_section("Equity and buy-and-hold benchmark", "chart-equity",
                             f"The run's equity against {e(view.benchmark_label)} with the same starting cash "
                             f"({view.cash0:,.0f})."))
    sections.append(_section("Drawdown", "chart-drawdown", "Decline from the running peak of equity."))
    sections.append(_sleeves(view))
    window = rolling_window(view.manifest.get("periods_per_year"), len(view.equity))
    sections.append(_section("Rolling Sharpe and volatility", "chart-rolling",
                             f"Over the last {window:,} steps (a quarter of a year), annualised: Sharpe = mean / "
                             "standard deviation (ddof 1) of the step returns, without a risk-free rate."))
    sections.append(_drawdown_table(view))
    options = "".join(f'<option value="{e(view.market.symbols[j])}">{e(view.market.symbols[j])}</option>'
                      for j in view.charted_symbols)
    notes = "".join(f"<p class=note>{e(n)}</p>" for n in view.notes)
    sections.append("<section><h2>Positions and trades</h2><p>Close price with trade entries (triangles) at their "
                    "fill prices and exits (crosses) coloured by the trade's result and sized by its return, and "
                    "the features near the price's scale (moving averages, bands); below, the position held at the "
                    "end of each step and each other feature (rsi, volatility) in a panel of its own.</p>"
                    f'{notes}<label>symbol <select id="symbol-select">{options}</select></label>'
                    '<div id="chart-price" class="flowc-chart" data-kind="price"></div></section>')
    n_trades = len(view.trades)
    sections.append(_section("Distribution of trade returns", "chart-trade-returns",
                             f"{n_trades:,} closed trade{'s' * (n_trades != 1)}; return = P&amp;L over the "
                             "entry's notional."))
    yearly = yearly_returns(view.monthly)
    years = " ".join(f"<span>{y}: {100 * r:+.1f}%</span>" for y, r in yearly.items())
    sections.append(_section("Monthly returns (%)", "chart-monthly",
                             "Month-end equity over the previous month-end.", f"<p class=years>{years}</p>"))
    sections.append(_topology(view))
    sections.append(_run_info(view))
    title = f"flowc report: {view.workflow}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="flowc">
<title>{e(title)}</title>
<style>{CSS}</style>
<script type="text/javascript">/* plotly.js {plotly.__version__} (MIT license), inlined so the page works offline */
{get_plotlyjs()}</script>
</head>
<body>
{"".join(sections)}
<footer>Written by flowc {e(str(view.manifest.get("versions", {}).get("flowc", "")))} on
{datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}. This page needs no network.</footer>
<script type="text/javascript">
(function () {{
  var figures = {{
{payload}
  }};
  var dates = {json.dumps(_dates(view.index))};
  function dated(fig) {{
    fig.data.forEach(function (trace) {{
      var meta = String(trace.meta || "").split(":");
      if (meta[0] === "{STEPS}") {{
        if (meta.length === 3) {{
          trace.x = dates.slice(Number(meta[1]), Number(meta[1]) + Number(meta[2]));
        }} else {{
          trace.x = trace.x.map(function (step) {{ return dates[step]; }});
        }}
        delete trace.meta;
      }}
    }});
    return fig;
  }}
  Object.keys(figures).forEach(function (id) {{ dated(figures[id]); }});
  var prices = {{
{symbol_payload}
  }};
  var select = document.getElementById("symbol-select");
  if (select) {{
    figures["chart-price"] = dated(prices[select.value]);
    prices[select.value].dated = true;
    select.addEventListener("change", function () {{
      var fig = prices[select.value];
      if (!fig.dated) {{ dated(fig); fig.dated = true; }}
      Plotly.react(document.getElementById("chart-price"), fig.data, fig.layout, {json.dumps(CONFIG)});
    }});
  }}
  var pending = [];
  Object.keys(figures).forEach(function (id) {{
    var el = document.getElementById(id);
    var fig = figures[id];
    pending.push(Plotly.newPlot(el, fig.data, fig.layout, {json.dumps(CONFIG)}).then(function () {{
      el.setAttribute("data-drawn", "1");
    }}, function (err) {{
      el.setAttribute("data-error", String(err));
    }}));
  }});
  Promise.all(pending).then(function () {{
    document.body.setAttribute("data-charts-drawn", String(pending.length));
  }});
}})();
</script>
</body>
</html>
"""


def _section(title: str, chart: str, text: str, after: str = "") -> str:
    return (f'<section><h2>{html.escape(title)}</h2><p>{text}</p>'
            f'<div id="{chart}" class="flowc-chart"></div>{after}</section>')


def _drawdown_table(view: RunView) -> str:
    """The deepest drawdowns (`model.drawdown_periods`) as a table."""
    x = view.index
    rows = []
    for p in drawdown_periods(view.drawdown):
        recovery = f"{x[p.recovery]:%Y-%m-%d}" if p.recovery is not None else "not recovered"
        days = ((x[p.recovery] if p.recovery is not None else x[-1]) - x[p.start]).days
        rows.append(f"<tr><td>{x[p.start]:%Y-%m-%d}</td><td>{x[p.trough]:%Y-%m-%d}</td><td>{recovery}</td>"
                    f"<td>{100 * p.depth:.2f}%</td><td>{p.length:,}</td><td>{days:,}</td></tr>")
    body = "".join(rows) or '<tr><td colspan="6">no drawdown</td></tr>'
    return ("<section><h2>Worst drawdowns</h2><p>The five deepest declines: from the peak (start) to the deepest "
            "point (trough) to the first step back at the peak (recovery); length in steps and in calendar days "
            "from the peak to the recovery or, if not recovered, to the last step.</p>"
            '<table id="drawdowns" class="metrics"><thead><tr><th>start</th><th>trough</th><th>recovery</th>'
            f"<th>depth</th><th>steps</th><th>days</th></tr></thead><tbody>{body}</tbody></table></section>")


def _header(view: RunView) -> str:
    e = html.escape
    m = view.manifest
    described = (m.get("workflow") or {}).get("description")
    span = ""
    if len(view.index):
        span = f"{view.index[0]:%Y-%m-%d} to {view.index[-1]:%Y-%m-%d}, {len(view.index):,} steps"
    symbols = ", ".join(view.market.symbols)
    return (f"<header><h1>{e(view.workflow)}</h1>"
            + (f"<p class=description>{e(described)}</p>" if described else "")
            + f"<p>{e(span)} · {e(symbols)}</p></header>")


def _metrics_table(view: RunView) -> str:
    e = html.escape
    rows = []
    for key in METRIC_ROWS:
        if key not in view.metrics:
            continue
        bench = view.benchmark_metrics.get(key, None) if key in view.benchmark_metrics else None
        bench_text = shown(bench, key) if key in view.benchmark_metrics else ""
        rows.append(f"<tr><th>{e(key)}</th><td>{e(shown(view.metrics[key], key))}</td><td>{e(bench_text)}</td></tr>")
    relative = relative_to_benchmark(view.equity, view.benchmark, view.cash0, view.manifest.get("periods_per_year"))
    for key, value in relative.items():
        text = f"{100 * value:.2f}%" if key == "alpha" and np.isfinite(value) else shown(value)
        rows.append(f"<tr><th>{e(key)} vs benchmark</th><td>{e(text)}</td><td></td></tr>")
    return ('<section><h2>Metrics</h2><table id="metrics" class="metrics"><thead><tr><th>metric</th>'
            f"<th>{e(view.workflow or 'strategy')}</th><th>{e(view.benchmark_label)}</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></section>")


def _sleeves(view: RunView) -> str:
    """Each sleeve's contribution and trade statistics beside its portfolio's, and their curves."""
    e = html.escape
    rows = sleeve_rows(view.metrics)
    if not rows:
        return ""
    head = "".join(f"<th>{e(LABELS.get(k, k))}</th>" for k in COLUMNS)
    body = "".join(f"<tr{' class=total' if sleeve == TOTAL else ''}><th>{e(portfolio)}</th><th>{e(sleeve)}</th>"
                   + "".join(f"<td>{e(text(values.get(k), k))}</td>" for k in COLUMNS) + "</tr>"
                   for portfolio, sleeve, values in rows)
    chart = '<div id="chart-sleeves" class="flowc-chart"></div>' if view.contributions else ""
    return ("<section><h2>Sleeves</h2><p>What each risk container (sleeve) contributed to its portfolio: its cash "
            "flows plus its positions at the last close, from 0; the sleeves of a portfolio sum to its P&amp;L. "
            "Return is the contribution over the portfolio's starting cash.</p>"
            f'<table id="sleeves" class="metrics"><thead><tr><th>portfolio</th><th>sleeve</th>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>{chart}</section>")


def _topology(view: RunView) -> str:
    if view.graph is None:
        return "<section><h2>Topology</h2><p>The workflow could not be loaded to draw it.</p></section>"
    from flowc.compiler.export import to_mermaid

    svg = topology.to_svg(topology.layout(view.graph))
    mermaid = html.escape(to_mermaid(view.graph))
    return ("<section><h2>Topology</h2><p>Containers by their place in the schedule; dashed routes are feedback "
            "(delivered at the next step).</p>"
            f'<div id="chart-topology" class="flowc-chart flowc-svg" data-drawn="1">{svg}</div>'
            f"<details><summary>Mermaid source (<code>flowc graph --format mermaid</code>)</summary>"
            f"<pre>{mermaid}</pre></details></section>")


def _run_info(view: RunView) -> str:
    e = html.escape
    m = view.manifest
    if not m:
        return ""
    rows = [("command", m.get("command")), ("workflow file", (m.get("workflow") or {}).get("file")),
            ("plan", m.get("plan")),
            ("parameters", ", ".join(f"{k} = {v}" for k, v in (m.get("params") or {}).items()))]
    market = m.get("market") or {}
    if market.get("warmup_from"):
        rows.append(("warm-up", f"{market.get('warmup_bars')} bars from {market.get('warmup_from')}"))
    for item in (m.get("inputs") or {}).get("data", []):
        rows.append(("data file", f"{item['path']} (sha256 {item['sha256'][:16]}…)"))
    for item in (m.get("inputs") or {}).get("flow", []):
        rows.append(("flow file", f"{item['path']} (sha256 {item['sha256'][:16]}…)"))
    versions = m.get("versions") or {}
    rows.append(("versions", ", ".join(f"{k} {v}" for k, v in versions.items())))
    rows.append(("run", f"{m.get('started_at')} to {m.get('finished_at')}"))
    body = "".join(f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>" for k, v in rows if v)
    return (f"<section><h2>Run</h2><p>From <code>manifest.json</code>; <code>flowc run --reproduce "
            f"{e(str(view.out))}</code> reruns it.</p><table class=info>{body}</table></section>")


CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1180px;
       padding: 18px 28px 40px; color: #222; background: #fff; }
h1 { margin: 8px 0 4px; font-size: 26px; } h2 { margin: 30px 0 6px; font-size: 19px; border-bottom: 1px solid #ddd;
padding-bottom: 4px; } h3 { margin: 18px 0 2px; font-size: 15px; }
p { margin: 4px 0 8px; color: #444; } .description { font-style: italic; }
table { border-collapse: collapse; font-size: 14px; }
table.metrics th, table.metrics td, table.info th, table.info td { padding: 3px 14px 3px 6px; text-align: right;
  border-bottom: 1px solid #eee; }
table.metrics th:first-child, table.info th { text-align: left; font-weight: 600; }
table#sleeves tbody th { text-align: left; font-weight: normal; } table#sleeves tr.total { font-weight: 600; }
table.info td { text-align: left; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px;
  word-break: break-all; }
.flowc-chart { width: 100%; min-height: 120px; } .flowc-svg { overflow-x: auto; }
.years span { margin-right: 12px; font-size: 13px; white-space: nowrap; }
.note { color: #a35; } pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 12px; }
footer { margin-top: 36px; color: #888; font-size: 12px; }
"""

