"""`walk_forward_report.html`: the report of a walk-forward's `--out` folder, from `walk_forward.json`
and `oos_equity.csv`.

Why it exists: a walk-forward is judged by whether what won in sample held out of sample. The
page draws the stitched out-of-sample equity (each window's test span, traded with the params
its train span chose), the params chosen per window, and each window's objective in sample
against out of sample. Like `report.html` it inlines plotly.js once and fetches nothing.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from flowc.tools.report.html import BENCH, CONFIG, FEATURE_COLORS, GAIN, STRATEGY, base_layout

PAGE = "walk_forward_report.html"


def figures(record: dict, equity: pd.DataFrame) -> dict[str, object]:
    import plotly.graph_objects as go

    windows = record["windows"]
    objective = record["objective"]
    found: dict[str, object] = {}
    eq = go.Figure(layout=base_layout(yaxis={"title": "out-of-sample equity", "tickformat": ",.0f"}))
    eq.add_scatter(x=equity["timestamp"].tolist(), y=equity["equity"].to_numpy(dtype="float32"),
                   name="stitched out of sample", line={"color": STRATEGY, "width": 1.4})
    for w in windows:
        eq.add_vline(x=w["test_start"], line={"color": BENCH, "width": 0.6, "dash": "dot"})
    found["chart-oos-equity"] = eq

    labels = [f"{w['window']}: {w['test_start'][:10]}" for w in windows]
    chosen = go.Figure(layout=base_layout(height=320, xaxis={"title": "window (test start)", "type": "category"},
                                      yaxis={"title": "chosen value"}))
    for k, name in enumerate(windows[0]["chosen"] if windows else []):
        chosen.add_scatter(x=labels, y=[w["chosen"].get(name) for w in windows], name=name, mode="lines+markers",
                           line={"color": FEATURE_COLORS[k % len(FEATURE_COLORS)], "shape": "hv"})
    found["chart-chosen"] = chosen

    versus = go.Figure(layout=base_layout(height=320, barmode="group", xaxis={"title": "window", "type": "category"},
                                      yaxis={"title": objective}))
    for part, color in (("in_sample", BENCH), ("out_of_sample", GAIN)):
        versus.add_bar(x=labels, y=[(w.get(part) or {}).get(objective) for w in windows],
                       name=part.replace("_", " "), marker={"color": color})
    found["chart-in-vs-out"] = versus
    return found


def render(folder: Path) -> str:
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    record = json.loads((folder / "walk_forward.json").read_text(encoding="utf-8"))
    equity = pd.read_csv(folder / "oos_equity.csv")
    charts = figures(record, equity)
    payload = ",\n".join(f"{json.dumps(k)}: {pio.to_json(f, validate=False)}" for k, f in charts.items())
    payload = payload.replace("</", "<\\/")
    e = html.escape
    objective = record["objective"]
    rows = "".join(
        f"<tr><td>{w['window']}</td><td>{e(w['train_start'][:10])} to {e(w['train_end'][:10])}</td>"
        f"<td>{e(w['test_start'][:10])} to {e(w['test_end'][:10])}</td>"
        f"<td>{e(', '.join(f'{k} = {v}' for k, v in w['chosen'].items()))}</td>"
        f"<td>{_number((w.get('in_sample') or {}).get(objective))}</td>"
        f"<td>{_number((w.get('out_of_sample') or {}).get(objective))}</td></tr>" for w in record["windows"])
    sections = "".join(f'<section><h2>{e(title)}</h2><p>{text}</p><div id="{key}" class="flowc-chart"></div></section>'
                       for key, title, text in SECTIONS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="flowc">
<title>flowc walk-forward report: {e(record['workflow'])}</title><style>{CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script></head>
<body><header><h1>{e(record['workflow'])}</h1><p>walk-forward of {len(record['windows'])} windows; objective
{e(objective)}: {_number((record.get('in_sample') or {}).get('metrics', {}).get(objective))} over the whole
data with the best params, {_number((record.get('out_of_sample') or {}).get(objective))} stitched out of sample</p>
</header>{sections}
<section><h2>Windows</h2><table id="windows"><thead><tr><th>window</th><th>train</th><th>test</th><th>chosen</th>
<th>{e(objective)} in sample</th><th>{e(objective)} out of sample</th></tr></thead><tbody>{rows}</tbody></table>
</section>
<script type="text/javascript">
(function () {{
  var figures = {{
{payload}
  }};
  var pending = Object.keys(figures).map(function (id) {{
    var el = document.getElementById(id);
    return Plotly.newPlot(el, figures[id].data, figures[id].layout, {json.dumps(CONFIG)}).then(function () {{
      el.setAttribute("data-drawn", "1");
    }});
  }});
  Promise.all(pending).then(function () {{
    document.body.setAttribute("data-charts-drawn", String(pending.length));
  }}, function (err) {{ document.body.setAttribute("data-error", String(err)); }});
}})();
</script></body></html>
"""


def write_walk_forward_report(folder: str | Path) -> Path:
    """Write `walk_forward_report.html` into a walk-forward's `--out` folder; ValueError when it is not one."""
    from flowc.runtime.files import write_text

    folder = Path(folder)
    for name in ("walk_forward.json", "oos_equity.csv"):
        if not (folder / name).is_file():
            raise ValueError(f"{folder} has no {name}: it is written by `flowc run WALK_FORWARD.flow --out {folder}`")
    page = folder / PAGE
    write_text(page, render(folder))
    return page


def _number(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, (int, float)) else "n/a"


SECTIONS = (
    ("chart-oos-equity", "Stitched out-of-sample equity",
     "Each window's test span traded with the params its train span chose, one after another; dotted lines mark "
     "where each test span starts."),
    ("chart-chosen", "Chosen params per window", "The point of the train span's grid that was best by the objective."),
    ("chart-in-vs-out", "In sample against out of sample",
     "Each window's objective on its train span (where it was chosen) and on its test span (unseen)."),
)

CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1180px;
       padding: 18px 28px 40px; color: #222; }
h2 { font-size: 19px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 14px; } td, th { padding: 3px 12px; border-bottom: 1px solid #eee; }
"""
