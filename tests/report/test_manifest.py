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


# ---- --reproduce checks the files in the folder (issue 19, item 13) ------------------------


@pytest.mark.parametrize("damage", ["edit_metrics", "garbage_trades", "mixed_equity", "missing_fills"])
def test_reproduce_compares_the_files_that_are_there(workspace, capsys, damage):
    folder, flow = workspace
    out = folder / "r"
    _run(flow, out)
    if damage == "edit_metrics":
        metrics = json.loads((out / "metrics.json").read_text())
        metrics["sharpe"] = 9.99
        (out / "metrics.json").write_text(json.dumps(metrics))
        name = "metrics.json"
    elif damage == "garbage_trades":
        (out / "trades.csv").write_bytes(b"\x00garbage\n")
        name = "trades.csv"
    elif damage == "mixed_equity":  # what a run killed half-way through writing leaves: a file of another run
        _run(flow, folder / "other", "--set", "fast=5")
        (out / "equity.csv").write_bytes((folder / "other" / "equity.csv").read_bytes())
        name = "equity.csv"
    else:
        (out / "fills.csv").unlink()
        name = "fills.csv"
    capsys.readouterr()
    assert main(["run", "--reproduce", str(out)]) == 1
    shown = capsys.readouterr().out
    assert "NOT identical" in shown and f"not as the run wrote it: {name}" in shown
    assert f"results differ: {name}" in shown
    assert main(["run", "--reproduce", str(out), "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["identical"] is False and verdict["results_differ"] == [name]


def test_reproduce_reads_a_garbage_metrics_file_without_a_traceback(workspace, capsys):
    folder, flow = workspace
    _run(flow, folder / "r")
    (folder / "r" / "metrics.json").write_text("[1, 2")
    assert main(["run", "--reproduce", str(folder / "r")]) == 1
    assert "results differ: metrics.json" in capsys.readouterr().out


# ---- --reproduce runs no code the folder names (issue 19, item 14) -------------------------


def _plugin(folder, name, body=""):
    path = folder / f"{name}.py"
    path.write_text(f'"""A plugin that registers nothing."""\n{body}\n')
    return path


def test_reproduce_never_loads_plugins_from_the_manifest(workspace, capsys):
    folder, flow = workspace
    tag = f"repro_plugin_{abs(hash(str(folder))) % 10**8}"
    plugin = _plugin(folder, tag)
    out = folder / "r"
    assert main(["--plugin", str(plugin), "run", str(flow), "--out", str(out), "--quiet"]) == 0
    record = json.loads((out / "manifest.json").read_text())
    assert record["inputs"]["plugins"][0]["sha256"] == _sha(plugin)

    marker = folder / "executed"
    evil = _plugin(folder, f"evil_{tag}", f"open({str(marker)!r}, 'w').close()")
    record["run"]["plugins"] = [str(evil)]
    record["inputs"]["plugins"] = [{"name": str(evil), "path": str(evil), "sha256": _sha(evil)}]
    (out / "manifest.json").write_text(json.dumps(record))
    capsys.readouterr()
    assert main(["run", "--reproduce", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"the run used the plugin {evil}" in err and "--plugin executes Python code" in err
    assert not marker.exists()
    # the plugin the run used, given explicitly, against a manifest that names another: refused too
    assert main(["--plugin", str(plugin), "run", "--reproduce", str(out)]) == 2
    assert not marker.exists()


def test_reproduce_with_the_plugins_given_explicitly(workspace, capsys):
    folder, flow = workspace
    tag = f"repro_given_{abs(hash(str(folder))) % 10**8}"
    plugin = _plugin(folder, tag)
    out = folder / "r"
    assert main(["--plugin", str(plugin), "run", str(flow), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["run", "--reproduce", str(out)]) == 2
    assert f"--plugin {plugin}" in capsys.readouterr().err
    assert main(["--plugin", str(plugin), "run", "--reproduce", str(out)]) == 0
    assert ": identical" in capsys.readouterr().out
    plugin.write_text(plugin.read_text() + "# changed\n")
    assert main(["--plugin", str(plugin), "run", "--reproduce", str(out)]) == 2
    assert f"plugin {plugin}: its file has changed" in capsys.readouterr().err
