"""A sweep's report: `flowc run SWEEP --report --out` and `flowc report DIR` draw `sweep_report.html`
offline, its heat map over any two parameters with the others held at picked values."""

import re

import numpy as np
import pandas as pd

from flowc.tools.cli import main
from flowc.tools.report.sweep import neighbour_means
from tests.conftest import EXAMPLES
from tests.report.test_report import render_dom


def test_a_sweep_report_draws_the_heat_map_distribution_and_stability(tmp_path, capsys):
    out = tmp_path / "grid"
    assert main(["run", str(EXAMPLES / "sma_grid.flow"), "--report", "--out", str(out), "--quiet"]) == 0
    page = out / "sweep_report.html"
    page.unlink()
    assert main(["report", str(out)]) == 0 and "sweep_report.html" in capsys.readouterr().out
    dom = render_dom(page, tmp_path / "profile")
    assert 'data-charts-drawn="2"' in dom and not re.search(r"<body[^>]*data-error", dom)
    heat = dom[dom.index('id="chart-heatmap"'):dom.index('id="chart-distribution"')]
    assert re.search(r'class="hm"[^>]*>\s*<image', heat)
    assert re.findall(r'<select class="fixed" data-param="(\w+)"', dom) == ["fast", "slow"]
    assert len(re.findall(r'class="point[ "]', dom[dom.index('id="chart-distribution"'):])) > 1  # histogram bars
    stable = re.search(r'<table id="stability".*?<tbody>(.*?)</tbody>', dom, re.S).group(1)
    assert stable.count("<tr>") == 10


def test_neighbours_are_one_place_away_in_one_parameter():
    sweeps = [{"param": "a", "values": [1, 2, 3]}, {"param": "b", "values": [10, 20]}]
    points = pd.DataFrame({"a": [1, 2, 3, 1, 2, 3], "b": [10, 10, 10, 20, 20, 20], "m": [1.0, 2, 3, 4, 5, np.nan]})
    means = neighbour_means(points, sweeps, "m")
    assert means[:5].tolist() == [(2 + 4) / 2, (1 + 3 + 5) / 3, 2.0, (1 + 5) / 2, (4 + 2) / 2]
    assert means[5] == 4.0  # a point without a value still has its neighbours (5 and 3); NaN ones are left out


def test_a_walk_forward_report_draws_the_stitched_equity_chosen_params_and_both_samples(tmp_path, capsys):
    from tests.sweep.flows import flow_file

    path = flow_file(tmp_path, "sweep fast in [5, 10]\nsweep slow in [20, 40]\n"
                               "walk_forward train = 1000, test = 1000, step = 1000\nobjective = sharpe")
    out = tmp_path / "wf"
    assert main(["run", str(path), "--report", "--out", str(out), "--quiet"]) == 0
    page = out / "walk_forward_report.html"
    page.unlink()
    assert main(["report", str(out)]) == 0 and "walk_forward_report.html" in capsys.readouterr().out
    dom = render_dom(page, tmp_path / "profile")
    assert 'data-charts-drawn="3"' in dom and not re.search(r"<body[^>]*data-error", dom)
    windows = re.search(r'<table id="windows".*?<tbody>(.*?)</tbody>', dom, re.S).group(1).count("<tr>")
    assert windows >= 3
    chosen = dom[dom.index('id="chart-chosen"'):dom.index('id="chart-in-vs-out"')]
    assert {"fast", "slow"} <= set(re.findall(r'class="legendtext"[^>]*>([^<]*)<', chosen))
    versus = dom[dom.index('id="chart-in-vs-out"'):]
    assert len(re.findall(r'class="point[ "]', versus)) >= windows  # the bars of both samples
    assert re.findall(r'class="js-line"', dom[dom.index('id="chart-oos-equity"'):dom.index('id="chart-chosen"')])
