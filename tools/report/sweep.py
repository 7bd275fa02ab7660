"""`sweep_report.html`: the report of a sweep's `--out` folder, drawn from `sweep.csv` and the manifest.

Why it exists: a sweep is judged by how the metric moves with the parameters, not by its best
point. The page draws a heat map of any two swept parameters with every other one fixed at a
value picked in its own selector (never maximised over silently), the distribution of each metric
over the points, and each point's metric beside the mean of its grid neighbours (its stability).
Like `report.html` it inlines plotly.js once and fetches nothing.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from flowc.runtime.metrics import ASCENDING
from flowc.tools.report.model import METRIC_ROWS

PAGE = "sweep_report.html"
STABLE_ROWS = 10


def neighbour_means(points: pd.DataFrame, sweeps: list[dict], metric: str) -> np.ndarray:
    """For each point, the mean `metric` of its neighbours: the finished points that differ from it in
    one parameter only, by one place in that parameter's list of values (NaN when none has a value)."""
    place = {s["param"]: {v: i for i, v in enumerate(s["values"])} for s in sweeps}
    names = [s["param"] for s in sweeps]
    where = {tuple(place[n].get(r[n]) for n in names): float(r[metric]) for _, r in points.iterrows()}
    means = []
    for _, r in points.iterrows():
        key = tuple(place[n].get(r[n]) for n in names)
        near = [where.get((*key[:i], key[i] + d, *key[i + 1:])) for i in range(len(key)) if key[i] is not None
                for d in (-1, 1)]
        values = [v for v in near if v is not None and np.isfinite(v)]
        means.append(float(np.mean(values)) if values else np.nan)
    return np.array(means)


def render(folder: Path) -> str:
    from plotly.offline import get_plotlyjs

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    sweeps = manifest.get("sweeps") or []
    table = pd.read_csv(folder / "sweep.csv")
    points = table[table["status"] == "ok"] if "status" in table else table
    names = [s["param"] for s in sweeps]
    metrics = [m for m in METRIC_ROWS if m in points and pd.api.types.is_numeric_dtype(points[m])]
    objective = (manifest.get("run") or {}).get("objective") or ("sharpe" if "sharpe" in metrics else metrics[0])
    rows = [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
            for r in points[names + metrics].to_dict("records")]
    data = json.dumps({"params": sweeps, "metrics": metrics, "rows": rows, "objective": objective})
    data = data.replace("</", "<\\/")
    e = html.escape
    stable = points.assign(_near=neighbour_means(points, sweeps, objective)).sort_values(objective,
                                                                                   ascending=objective in ASCENDING)
    body = "".join("<tr>" + "".join(f"<td>{e(str(r[n]))}</td>" for n in names)
                   + f"<td>{r[objective]:.4g}</td><td>{r['_near']:.4g}</td></tr>"
                   for _, r in stable.head(STABLE_ROWS).iterrows())
    head = "".join(f"<th>{e(n)}</th>" for n in names)
    selects = "".join(f'<label>{e(s["param"])} <select class="fixed" data-param="{e(s["param"])}">'
                      + "".join(f"<option>{e(str(v))}</option>" for v in s["values"]) + "</select></label> "
                      for s in sweeps)
    axis = "".join(f"<option>{e(n)}</option>" for n in names)
    metric_options = "".join(f'<option{" selected" * (m == objective)}>{e(m)}</option>' for m in metrics)
    title = (manifest.get("workflow") or {}).get("name", "sweep")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="flowc">
<title>flowc sweep report: {e(title)}</title><style>{CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script></head>
<body><header><h1>{e(title)}</h1>
<p>{len(points):,} finished points of {len(table):,}; objective {e(objective)}</p></header>
<section><h2>Heat map</h2><p>The metric over two swept parameters; every other parameter is held at the value picked
in its selector (not maximised over).</p>
<p><label>metric <select id="metric">{metric_options}</select></label>
<label>x <select id="axis-x">{axis}</select></label> <label>y <select id="axis-y">{axis}</select></label></p>
<p>{selects}</p><div id="chart-heatmap" class="flowc-chart"></div></section>
<section><h2>Distribution</h2><p>The picked metric over every finished point.</p>
<div id="chart-distribution" class="flowc-chart"></div></section>
<section><h2>Stability</h2><p>The {STABLE_ROWS} best points by {e(objective)}, each beside the mean
{e(objective)} of its neighbours (the points one place away in one parameter's list of values): a best
point far above its neighbours is luck of the grid.</p>
<table id="stability" class="metrics"><thead><tr>{head}<th>{e(objective)}</th><th>neighbours' mean</th>
</tr></thead><tbody>{body}</tbody></table></section>
<script type="text/javascript">{SCRIPT.replace("__DATA__", data)}</script></body></html>
"""


def write_sweep_report(folder: str | Path) -> Path:
    """Write `sweep_report.html` into a sweep's `--out` folder; ValueError (in words) when it is not one."""
    from flowc.runtime.files import write_text

    folder = Path(folder)
    for name in ("sweep.csv", "manifest.json"):
        if not (folder / name).is_file():
            raise ValueError(f"{folder} has no {name}: it is written by `flowc run SWEEP.flow --out {folder}`")
    page = folder / PAGE
    write_text(page, render(folder))
    return page


SCRIPT = """
(function () {
  var data = __DATA__;
  var params = data.params.map(function (p) { return p.param; });
  var x = document.getElementById("axis-x"), y = document.getElementById("axis-y");
  var metric = document.getElementById("metric");
  if (params.length > 1) { y.selectedIndex = 1; }
  var fixed = Array.prototype.slice.call(document.querySelectorAll("select.fixed"));
  function valuesOf(name) { return data.params[params.indexOf(name)].values; }
  function draw() {
    var m = metric.value, px = x.value, py = y.value;
    fixed.forEach(function (s) { s.disabled = (s.dataset.param === px || s.dataset.param === py); });
    var xs = valuesOf(px), ys = px === py ? [""] : valuesOf(py);
    var z = ys.map(function () { return xs.map(function () { return null; }); });
    data.rows.forEach(function (r) {
      var held = fixed.every(function (s) {
        return s.disabled || String(r[s.dataset.param]) === s.value;
      });
      var i = px === py ? 0 : ys.indexOf(r[py]), j = xs.indexOf(r[px]);
      if (held && i >= 0 && j >= 0) { z[i][j] = r[m]; }
    });
    var heat = [{type: "heatmap", z: z, x: xs.map(String), y: ys.map(String), colorscale: "RdYlGn",
                 hovertemplate: px + " %{x}, " + py + " %{y}: %{z:.4g}<extra></extra>"}];
    var values = data.rows.map(function (r) { return r[m]; }).filter(function (v) { return v !== null; });
    var layout = {template: "plotly_white", height: 420, margin: {l: 60, r: 20, t: 20, b: 50},
                  xaxis: {title: {text: px}, type: "category"}, yaxis: {title: {text: py}, type: "category"}};
    var hist = [{type: "histogram", x: values, marker: {color: "#1f5fa8"}}];
    var histLayout = {template: "plotly_white", height: 320, margin: {l: 60, r: 20, t: 20, b: 50},
                      xaxis: {title: {text: m}}, yaxis: {title: {text: "points"}}};
    return Promise.all([Plotly.react("chart-heatmap", heat, layout, {displaylogo: false}),
                        Plotly.react("chart-distribution", hist, histLayout, {displaylogo: false})]);
  }
  [x, y, metric].concat(fixed).forEach(function (s) { s.addEventListener("change", draw); });
  draw().then(function () {
    ["chart-heatmap", "chart-distribution"].forEach(function (id) {
      document.getElementById(id).setAttribute("data-drawn", "1");
    });
    document.body.setAttribute("data-charts-drawn", "2");
  }, function (err) { document.body.setAttribute("data-error", String(err)); });
})();
"""

CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1180px;
       padding: 18px 28px 40px; color: #222; }
h2 { font-size: 19px; border-bottom: 1px solid #ddd; } label { margin-right: 14px; font-size: 14px; }
table { border-collapse: collapse; font-size: 14px; } td, th { padding: 3px 12px; border-bottom: 1px solid #eee;
  text-align: right; }
"""
