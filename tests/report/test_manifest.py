"""The run manifest and `flowc run --reproduce OUT_DIR`.

A run over a CSV copied into a temporary folder: its manifest names and hashes every input,
`--reproduce` says identical on a fresh output, and after one byte of the data changes it says
which input changed.
"""

import hashlib
import json
from datetime import datetime

import pytest

from flowc.runtime.data import sample_path
from flowc.runtime.manager import prepare
from flowc.tools.cli import main
from tests.conftest import EXAMPLES


@pytest.fixture
def workspace(tmp_path):
    """simple_backtest reading `spx.csv` beside it (same program as the example: data are not compiled)."""
    (tmp_path / "spx.csv").write_bytes(sample_path("sp500").read_bytes())
    text = (EXAMPLES / "simple_backtest.flow").read_text()
    flow = tmp_path / "backtest.flow"
    flow.write_text(text.replace('sample("sp500", symbol = "SPX")', 'csv("spx.csv", symbol = "SPX")'))
    assert 'csv("spx.csv"' in flow.read_text()
    return tmp_path, flow


def _run(flow, out, *extra):
    assert main(["run", str(flow), "--out", str(out), "--quiet", *extra]) == 0
    return json.loads((out / "manifest.json").read_text())


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_records_what_made_the_results(workspace):
    folder, flow = workspace
    out = folder / "r"
    manifest = _run(flow, out, "--set", "fast=5")
    assert set(manifest["versions"]) >= {"flowc", "numba", "python", "numpy", "pandas"}
    assert manifest["inputs"]["flow"] == [{"path": str(flow), "sha256": _sha(flow)}]
    data = manifest["inputs"]["data"]
    assert [d["path"] for d in data] == [str(folder / "spx.csv")] and data[0]["sha256"] == _sha(folder / "spx.csv")
    assert manifest["params"] == {"fast": 5, "slow": 30}
    assert manifest["workflow"]["name"] == "simple_backtest"
    assert manifest["plan"] == prepare(flow).plan.digest
    assert manifest["command"].startswith("flowc run ") and "--set fast=5" in manifest["command"]
    assert manifest["run"]["file"] == str(flow) and manifest["run"]["overrides"] == ["fast=5"]
    started, finished = (datetime.fromisoformat(manifest[k]) for k in ("started_at", "finished_at"))
    assert started <= finished
    assert {"metrics.json", "equity.csv", "trades.csv", "orders.csv", "fills.csv"} <= set(manifest["results"])
    assert manifest["results"]["equity.csv"] == _sha(out / "equity.csv")
    assert manifest["market"]["symbols"] == ["SPX"] and manifest["market"]["steps"] == 5031


def test_reproduce_says_identical(workspace, capsys):
    folder, flow = workspace
    _run(flow, folder / "r")
    capsys.readouterr()
    assert main(["run", str(flow), "--reproduce", str(folder / "r")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"reproduce {folder / 'r'}: identical\n") and "results match: metrics.json" in out


def test_reproduce_names_the_changed_input(workspace, capsys):
    folder, flow = workspace
    _run(flow, folder / "r")
    data = folder / "spx.csv"
    raw = bytearray(data.read_bytes())
    line = raw.split(b"\n")[2000]  # a close in the middle of the series, one digit up
    at = bytes(raw).index(line) + line.rindex(b",") - 1  # the last digit of the close column
    raw[at] = ord("0") + (raw[at] - ord("0") + 1) % 10 if chr(raw[at]).isdigit() else raw[at]
    data.write_bytes(bytes(raw))
    capsys.readouterr()
    assert main(["run", str(flow), "--reproduce", str(folder / "r")]) == 1
    out = capsys.readouterr().out
    assert "NOT identical" in out or "inputs changed" in out
    assert f"input changed: data file {data}: changed (sha256" in out
    assert "flow file" not in out.split("results")[0].replace("input changed: data file", "")

    assert main(["run", str(flow), "--reproduce", str(folder / "r"), "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["identical"] is False and len(verdict["inputs_changed"]) == 1


def test_reproduce_a_changed_flow_file_and_parameters(workspace, capsys):
    folder, flow = workspace
    _run(flow, folder / "r")
    flow.write_text(flow.read_text().replace("param fast: int = 10", "param fast: int = 12"))
    capsys.readouterr()
    assert main(["run", str(flow), "--reproduce", str(folder / "r")]) == 1
    out = capsys.readouterr().out
    assert f"input changed: flow file {flow}: changed" in out and "input changed: parameters: fast" in out
    assert "results differ: metrics.json, equity.csv" in out


def test_reproduce_reruns_options_from_anywhere(workspace, tmp_path_factory, monkeypatch, capsys):
    folder, flow = workspace
    short = folder / "short.csv"
    short.write_text("".join(sample_path("sp500").read_text().splitlines(keepends=True)[:1500]))
    monkeypatch.chdir(folder)
    manifest = _run("backtest.flow", folder / "r", "--data", "SPX=short.csv", "--start", "2002-01-02",
                    "--end", "2003-06-30")
    assert manifest["run"]["data"] == {"SPX": str(short)}
    assert [d["path"] for d in manifest["inputs"]["data"]] == [str(short)]  # spx.csv is not read at all
    assert manifest["market"]["first"].startswith("2002-01-02") and manifest["market"]["warmup_bars"] == 29
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    capsys.readouterr()
    assert main(["run", str(flow), "--reproduce", str(folder / "r")]) == 0
    assert ": identical" in capsys.readouterr().out


def test_reproduce_hashes_the_standard_library(tmp_path):
    flow = tmp_path / "uses_std.flow"
    flow.write_text('import "std/simple_backtest.flow"\n')
    manifest = _run(flow, tmp_path / "r", "-w", "simple_backtest")
    paths = [f["path"] for f in manifest["inputs"]["flow"]]
    assert paths == [str(flow), "<std>/simple_backtest.flow"]


def test_reproduce_needs_a_manifest(tmp_path, capsys):
    assert main(["run", str(EXAMPLES / "simple_backtest.flow"), "--reproduce", str(tmp_path)]) == 2
    assert "no manifest.json" in capsys.readouterr().err
