"""Reports: `flowc run ... --report` and `flowc report OUT_DIR` write a page that draws offline, and PNGs.

The page is rendered by headless Chromium (Debian's `chromium`, installed by `.ci/run`) with every
network request sent to a dead proxy, and each chart is checked in the DOM Chromium leaves: plotly
marks a chart `data-drawn` once drawn, and its SVG must hold the traces it should.
"""

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from flowc.runtime.data import MarketData
from flowc.tools.cli import main
from flowc.tools.report.model import buy_and_hold, monthly_returns, positions_over_time
from tests.conftest import EXAMPLES

PLOTLY_BYTES = 4_900_000  # plotly.min.js, inlined once
PNGS = ("metrics.png", "equity.png", "drawdown.png", "price-SPX.png", "trade_returns.png", "monthly_returns.png",
        "topology.png")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "r"
    assert main(["run", str(EXAMPLES / "full_backtest.flow"), "--report", "--out", str(out), "--quiet"]) == 0
    return out


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("headless Chromium is needed for the report test: apt-get install chromium")
    pytest.skip("no chromium on this machine (apt-get install chromium)")


def render_dom(page, profile) -> str:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9",  # any fetch would fail: offline
               "--virtual-time-budget=20000", "--window-size=1280,2000", "--dump-dom", page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def charts(dom: str) -> dict[str, tuple[str, str]]:
    """Each chart div: (its opening tag, the DOM from it to the next chart or section)."""
    starts = list(re.finditer(r'<div id="(chart-[\w-]+)"([^>]*)>', dom))
    found = {}
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(dom)
        section = dom.find("<section", m.end())
        found[m.group(1)] = (m.group(2), dom[m.end():min(end, section if section > 0 else end)])
    return found


def lines(inner: str) -> list[str]:
    """The drawn paths of line traces over the data (not the legend's)."""
    found = re.findall(r'class="js-line"[^>]*\sd="([^"]*)"|\sd="([^"]*)"[^>]*class="js-line"', inner)
    return [d for pair in found for d in pair if len(d) > 1000]


def legend(inner: str) -> set[str]:
    return set(re.findall(r'class="legendtext"[^>]*>([^<]*)<', inner))


def drawdown_rows(dom: str) -> list[list[str]]:
    table = re.search(r'<table id="drawdowns".*?<tbody>(.*?)</tbody>', dom, re.S).group(1)
    return [re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]


def test_report_files(run_dir):
    page = run_dir / "report.html"
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\ssrc=", text) and not re.search(r"<link[^>]*href=", text)
    for name in PNGS:
        path = run_dir / "charts" / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        from matplotlib.image import imread

        image = imread(path)
        assert image.shape[0] > 100 and image.shape[1] > 300 and float(np.std(image)) > 0.01, name


def test_report_draws_every_chart_offline(run_dir, tmp_path):
    dom = render_dom(run_dir / "report.html", tmp_path / "profile")
    found = charts(dom)
    plotly = ["chart-equity", "chart-drawdown", "chart-rolling", "chart-sleeves", "chart-price",
              "chart-trade-returns", "chart-monthly"]
    assert set(found) == {*plotly, "chart-topology"}
    assert f'data-charts-drawn="{len(plotly)}"' in dom
    for name in plotly:
        attributes, inner = found[name]
        assert 'data-drawn="1"' in attributes and "data-error" not in attributes, name
        assert 'class="main-svg"' in inner, name

    assert len(lines(found["chart-equity"][1])) == 2  # the run and its benchmark, over 5,031 steps
    assert len(lines(found["chart-drawdown"][1])) == 2
    assert len(lines(found["chart-rolling"][1])) >= 2  # rolling Sharpe and volatility (Sharpe has gaps when flat)
    assert "log" in found["chart-equity"][1]  # the log-scale toggle
    price = found["chart-price"][1]
    assert len(lines(price)) >= 6  # the close, 2 moving averages on it, rsi and volatility below, the position
    assert {"features:fast_ma", "features:slow_ma", "features:rsi14", "features:vol20"} <= legend(price)
    assert len(re.findall(r'class="point[ "]', price)) == 2 * 110  # an entry and an exit marker per trade
    assert re.findall(r'<option value="([^"]*)"', dom) == ["SPX"]
    assert len(drawdown_rows(dom)) == 5
    assert len(re.findall(r'class="point[ "]', found["chart-trade-returns"][1])) > 5  # histogram bars
    assert re.search(r'class="hm"[^>]*>\s*<image', found["chart-monthly"][1])  # the heat map's image
    topology = found["chart-topology"][1]
    assert topology.count('class="container"') == 8 and topology.count('class="route"') >= 10
    metrics = re.search(r'<table id="metrics".*?</table>', dom, re.S).group(0)
    assert metrics.count("<tr>") >= 15 and "sharpe" in metrics
    assert len(lines(found["chart-sleeves"][1])) == 1  # the one sleeve's contribution
    sleeves = re.search(r'<table id="sleeves".*?</table>', dom, re.S).group(0)  # the sleeve, then its portfolio
    assert re.findall(r"<tr[^>]*><th>portfolio</th><th>([^<]*)</th><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>",
                      sleeves) == [("risk", "110"), ("(portfolio)", "110")]


def test_a_twenty_symbol_report_shows_one_price_chart_at_a_time(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "rotation"
    assert main(["run", str(EXAMPLES / "rotation.flow"), "--report", "--out", str(out), "--quiet"]) == 0
    page = out / "report.html"
    assert page.stat().st_size < PLOTLY_BYTES + 1_000_000  # the data: under 1 MB for 20 symbols of 1,500 bars
    dom = render_dom(page, tmp_path_factory.mktemp("profile"))
    found = charts(dom)
    assert 'data-charts-drawn="7"' in dom and not re.search(r'<div[^>]*data-error', dom)  # with the Sleeves chart
    assert len(re.findall(r'<option value="S\d+"', dom)) == 20 and "chart-price-" not in dom
    price = found["chart-price"][1]
    assert "features:momentum" in legend(price) and len(re.findall(r'class="point[ "]', price)) > 0
    assert len(drawdown_rows(dom)) == 5


def test_report_command_redraws_an_existing_run(run_dir, tmp_path, capsys):
    copy = tmp_path / "r"
    shutil.copytree(run_dir, copy)
    (copy / "report.html").unlink()
    shutil.rmtree(copy / "charts")
    capsys.readouterr()
    assert main(["report", str(copy), "--benchmark", "SPX"]) == 0
    assert "report.html" in capsys.readouterr().out
    text = (copy / "report.html").read_text(encoding="utf-8")
    assert "buy and hold SPX" in text
    assert sorted(p.name for p in (copy / "charts").iterdir()) == sorted(PNGS)


def test_report_needs_a_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "manifest.json" in capsys.readouterr().err
    assert main(["run", str(EXAMPLES / "simple_backtest.flow"), "--report"]) == 2
    assert "--out" in capsys.readouterr().err


def test_report_rejects_an_unknown_benchmark(run_dir, tmp_path, capsys):
    copy = tmp_path / "r"
    shutil.copytree(run_dir, copy)
    assert main(["report", str(copy), "--benchmark", "NDX"]) == 2
    assert "no such symbol" in capsys.readouterr().err


# ---- what the charts show -------------------------------------------------------------------


def _market(closes: np.ndarray, present: np.ndarray, start: str = "2020-01-01") -> MarketData:
    steps, symbols = closes.shape
    stamps = pd.date_range(start, periods=steps, freq="D").to_numpy().astype("datetime64[us]")
    closes = np.where(present, closes, np.nan)
    return MarketData(tuple(f"S{j}" for j in range(symbols)), stamps, closes, closes, closes, closes,
                      np.where(present, 1.0, np.nan), present)


def test_buy_and_hold_splits_the_cash_and_waits_for_the_first_bar():
    closes = np.array([[10.0, 0.0], [20.0, 5.0], [20.0, 10.0], [40.0, 0.0]])
    present = np.array([[True, False], [True, True], [True, True], [True, False]])
    market = _market(closes, present)
    assert buy_and_hold(market, 100.0, ["S0"]).tolist() == [100.0, 200.0, 200.0, 400.0]
    # S1 holds cash until its first bar, then doubles, then keeps its last close
    assert buy_and_hold(market, 100.0, ["S0", "S1"]).tolist() == [100.0, 150.0, 200.0, 300.0]


def test_monthly_returns_chain_from_the_starting_cash():
    index = pd.DatetimeIndex(["2020-01-15", "2020-01-31", "2020-02-10", "2020-04-01"])
    grid = monthly_returns(pd.Series([105.0, 110.0, 99.0, 108.9], index=index), 100.0)
    assert list(grid.index) == [2020]
    row = grid.loc[2020]
    assert row[1] == pytest.approx(0.10) and row[2] == pytest.approx(-0.10) and row[4] == pytest.approx(0.10)
    assert np.isnan(row[3]) and np.isnan(row[12])


def test_positions_sum_the_fills_of_every_portfolio():
    market = _market(np.ones((4, 2)), np.ones((4, 2), bool))
    fills = pd.DataFrame({"step": [1, 1, 2, 3], "symbol": ["S0", "S0", "S1", "S0"],
                          "quantity": [5.0, 3.0, -2.0, -8.0]})
    assert positions_over_time(fills, market).tolist() == [[0, 0], [8, 0], [8, -2], [0, -2]]


def test_the_manifest_records_the_benchmark_for_the_report(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["cash"] == 1_000_000 and manifest["run"]["benchmark"] is None


def test_drawdown_periods_run_from_peak_to_recovery_deepest_first():
    from flowc.tools.report.model import drawdown_periods

    drawdown = np.array([0.0, 0.1, 0.3, 0.0, 0.0, 0.05, 0.0, 0.2, 0.4, 0.1])
    found = drawdown_periods(drawdown)
    assert [(p.start, p.trough, p.recovery, p.depth, p.length) for p in found] == [
        (6, 8, None, 0.4, 3), (0, 2, 3, 0.3, 3), (4, 5, 6, 0.05, 2)]
    assert len(drawdown_periods(np.tile([0.0, 0.1], 10))) == 5


def test_rolling_figures_annualise_the_window_of_step_returns():
    from flowc.tools.report.model import rolling_figures, rolling_window

    assert rolling_window(252.0, 5_000) == 63 and rolling_window(None, 10) == 10 and rolling_window(8760.0, 3) == 3
    equity = 100.0 * np.cumprod([1.01, 0.99, 1.02, 1.0, 1.03])
    vol, sharpe = rolling_figures(equity, 100.0, 3, 252.0)
    returns = np.array([0.01, -0.01, 0.02, 0.0, 0.03])
    assert np.isnan(vol[:2]).all() and np.isnan(sharpe[:2]).all()
    assert vol[4] == pytest.approx(np.std(returns[2:5], ddof=1) * np.sqrt(252))
    assert sharpe[4] == pytest.approx(returns[2:5].mean() / np.std(returns[2:5], ddof=1) * np.sqrt(252))


def test_decimation_keeps_every_bucket_extreme():
    from flowc.tools.report.model import decimate

    rng = np.random.default_rng(3)
    values = np.cumsum(rng.normal(size=10_000))
    kept = decimate(values, 200)
    assert len(kept) <= 202 and kept[0] == 0 and kept[-1] == 9_999 and np.all(np.diff(kept) > 0)
    assert values.argmax() in kept and values.argmin() in kept
    assert decimate(values[:150], 200).tolist() == list(range(150))


def test_beta_and_alpha_against_the_benchmark():
    from flowc.tools.report.model import relative_to_benchmark

    bench = 100.0 * np.cumprod([1.01, 0.98, 1.03, 0.99, 1.02])
    steps = bench / np.concatenate([[100.0], bench[:-1]]) - 1.0
    levered = 100.0 * np.cumprod(1.0 + 2.0 * steps + 0.001)  # twice the benchmark plus 0.1 % a step
    found = relative_to_benchmark(levered, bench, 100.0, 252.0)
    assert found["beta"] == pytest.approx(2.0) and found["alpha"] == pytest.approx(0.252)
    assert found["correlation"] == pytest.approx(1.0)
    assert np.isnan(relative_to_benchmark(levered, np.full(5, 100.0), 100.0, 252.0)["beta"])
