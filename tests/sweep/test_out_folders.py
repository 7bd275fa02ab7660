"""What a sweep or a run does not write is said on any stderr, and `--out` never mixes a run's files with a sweep's."""

from __future__ import annotations

import json
import sys

import pytest

from flowc.tools.cli import main
from tests.conftest import EXAMPLES
from tests.sweep.flows import flow_file

SIMPLE = str(EXAMPLES / "simple_backtest.flow")
GRID = "sweep fast in [5, 10]\nsweep slow in [30, 50]"


def run(capsys, *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["run", *argv])
    return code, capsys.readouterr().err


def test_missing_extras_are_said_without_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` raises ImportError
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    path = flow_file(tmp_path, GRID)
    out = tmp_path / "out"
    code, err = run(capsys, str(path), "--executor", "inline", "--out", str(out), "--json")
    assert code == 0 and not (out / "sweep.parquet").exists() and not (out / "heatmap.png").exists()
    assert "no sweep.parquet: it needs pyarrow" in err and "no heatmap.png: it needs matplotlib" in err


@pytest.mark.parametrize(("statements", "page"), [
    (GRID, "sweep_report.html"),
    ("sweep fast in [5, 10]\nwalk_forward train = 1000, test = 1000", "walk_forward_report.html")])
def test_report_with_a_sweep_or_walk_forward_writes_its_page(tmp_path, capsys, statements, page):
    pytest.importorskip("plotly")
    path = flow_file(tmp_path, statements)
    code, _ = run(capsys, str(path), "--out", str(tmp_path / "out"), "--report", "--executor", "inline")
    assert code == 0 and (tmp_path / "out" / page).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_sweep_report_without_plotly_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "plotly", None)
    path = flow_file(tmp_path, GRID)
    code, err = run(capsys, str(path), "--out", str(tmp_path / "out"), "--report", "--executor", "inline")
    assert code == 2 and "pip install 'flowc[report]'" in err


def test_a_run_and_a_sweep_refuse_each_others_folder_alike_and_force_replaces(tmp_path, capsys):
    grid = str(flow_file(tmp_path, GRID))
    ran, swept = tmp_path / "ran", tmp_path / "swept"
    assert run(capsys, SIMPLE, "--out", str(ran), "--quiet")[0] == 0
    assert run(capsys, grid, "--out", str(swept), "--quiet", "--executor", "inline")[0] == 0
    manifest = (swept / "manifest.json").read_text()

    code, err = run(capsys, SIMPLE, "--out", str(swept), "--quiet")
    assert code == 2 and f"--out {swept} holds a sweep's results (sweep.jsonl); a single run would mix" in err
    assert (swept / "manifest.json").read_text() == manifest and not (swept / "metrics.json").exists()
    code, err = run(capsys, grid, "--out", str(ran), "--quiet", "--executor", "inline")
    assert code == 2 and f"--out {ran} holds a single run's results (metrics.json); a sweep would mix" in err
    assert not (ran / "sweep.jsonl").exists()

    assert run(capsys, SIMPLE, "--out", str(swept), "--quiet", "--force")[0] == 0
    assert not {"sweep.jsonl", "sweep.csv"} & {p.name for p in swept.iterdir()}
    assert json.loads((swept / "manifest.json").read_text())["sweeps"] == []
    assert run(capsys, grid, "--out", str(ran), "--quiet", "--executor", "inline", "--force")[0] == 0
    assert not {"metrics.json", "equity.csv", "trades.csv"} & {p.name for p in ran.iterdir()}


def test_the_same_kind_reuses_its_folder(tmp_path, capsys):
    out = tmp_path / "ran"
    assert run(capsys, SIMPLE, "--out", str(out), "--quiet")[0] == 0
    assert run(capsys, SIMPLE, "--out", str(out), "--quiet", "--set", "fast=5")[0] == 0
