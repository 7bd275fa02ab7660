"""The parts of a sweep on their own: grid and keys, chunking, the store, tables, progress and the heat map."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from rich.console import Console

from flowc.compiler.workflow import SweepSpec
from flowc.runtime.metrics import METRIC_KEYS
from flowc.runtime.sweep.executor import UnknownExecutor, chunk_size, chunked, make_executor
from flowc.runtime.sweep.grid import grid, point_key
from flowc.runtime.sweep.store import FILE, Store, StoreMismatch
from flowc.runtime.sweep.task import Task, message, ranked
from flowc.tools.sweeps.heatmap import grid_values, write_heatmap
from flowc.tools.sweeps.progress import SweepProgress
from flowc.tools.sweeps.tables import frame


def row(key: str, values: dict, status: str = "ok", **metrics) -> dict:
    return {"key": key, "values": values, "window": None, "metrics": metrics, "status": status,
            "error": None if status == "ok" else "boom", "seconds": 0.0}


def test_grid_order_and_keys():
    points = grid([SweepSpec("fast", (5, 10)), SweepSpec("slow", (20, 30, 40))])
    assert points[:4] == [{"fast": 5, "slow": 20}, {"fast": 5, "slow": 30}, {"fast": 5, "slow": 40},
                          {"fast": 10, "slow": 20}]
    assert grid([]) == [{}]
    assert point_key({"slow": 20, "fast": 5}) == point_key({"fast": 5, "slow": 20})  # statement order is irrelevant
    assert point_key({"fast": 5}) != point_key({"fast": 5.0 + 1e-9}) and point_key({"fast": 5}, 0) != point_key(
        {"fast": 5})


def test_chunks_balance_work_and_time():
    assert chunk_size(1000, 2, 0.001) == 125  # 4 chunks per worker at least
    assert chunk_size(1000, 2, 0.1) == 2  # about a quarter of a second each
    assert chunk_size(3, 8, 1e-9) == 1
    tasks = [Task(str(i), {}) for i in range(7)]
    assert [len(c) for c in chunked(tasks, 3)] == [3, 3, 1]
    with pytest.raises(UnknownExecutor, match="choose inline, process, dask"):
        make_executor("threads")


def test_failure_messages():
    from flowc.dsl.diagnostics import FlowError, diagnose

    assert message(ValueError("bad")) == "ValueError: bad"
    assert message(FlowError([diagnose("FL509", detail="the window is 0")])) == "FL509 the window is 0"


def test_store_keeps_rows_across_openings_and_survives_a_cut_line(tmp_path):
    with Store.open(tmp_path, "sig", workflow="w") as store:
        store.add([row("a", {"x": 1}, sharpe=1.0), row("b", {"x": 2}, status="failed")])
    with (tmp_path / FILE).open("a") as f:
        f.write('{"key": "c", "val')  # a crash in the middle of a line
    with Store.open(tmp_path, "sig") as store:
        assert set(store.rows) == {"a", "b"} and store.finished() == {"a"}  # failed points run again
        store.add([row("c", {"x": 3}, sharpe=0.5), row("b", {"x": 2}, sharpe=2.0)])
    lines = (tmp_path / FILE).read_text().splitlines()
    assert all(json.loads(line) for line in lines) and len(lines) == 5
    with Store.open(tmp_path, "sig") as store:
        assert store.finished() == {"a", "b", "c"} and store.rows["b"]["metrics"] == {"sharpe": 2.0}
    with pytest.raises(StoreMismatch, match="another sweep"):
        Store.open(tmp_path, "other")
    (tmp_path / FILE).write_text("not json\n")
    with pytest.raises(StoreMismatch, match="not a flowc sweep store"):
        Store.open(tmp_path, "sig")


def test_tables_rank_and_name_columns():
    rows = [row("a", {"fast": 5}, sharpe=0.1), row("b", {"fast": 6}, status="failed"),
            row("c", {"fast": 7}, sharpe=None), row("d", {"fast": 8}, sharpe=0.3)]
    order = [r["key"] for r in ranked(rows, "sharpe")]
    assert order == ["d", "a", "c", "b"]  # undefined, then failed, last
    table = frame(ranked(rows, "sharpe"), ["fast"])
    assert list(table.columns) == ["fast", *METRIC_KEYS, "status", "error"]
    assert table["status"].tolist() == ["ok", "ok", "ok", "failed"] and table["error"].tolist()[-1] == "boom"
    clash = frame([row("a", {"trades": 3}, trades=9)], ["trades"])
    assert clash.loc[0, "param:trades"] == 3 and clash.loc[0, "trades"] == 9


def test_progress_shows_done_failed_rate_and_eta():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=150, color_system=None)
    with SweepProgress(10, done=2, console=console, what="grid") as progress:
        progress.advance(3, 1)
        progress._progress.refresh()  # type: ignore[union-attr]
    text = out.getvalue()
    assert "grid" in text and "6/10" in text and "1 failed" in text and "points/s" in text and "ETA" in text
    assert SweepProgress(5, enabled=False)._progress is None


def test_heatmap(tmp_path):
    rows = [row(f"{f},{s}", {"fast": f, "slow": s, "q": q}, sharpe=float(f * s + q))
            for f in (5, 10) for s in (20, 30, 40) for q in (0, 1)]
    rows.append(row("x", {"fast": 5, "slow": 20, "q": 9}, status="failed"))
    values = grid_values(rows, "fast", "slow", "sharpe", [5, 10], [20, 30, 40])
    assert values.tolist() == [[101.0, 201.0], [151.0, 301.0], [201.0, 401.0]]  # best over q, failed ignored
    drawdown = grid_values([row("a", {"fast": 5, "slow": 20}, max_drawdown=0.2),
                            row("b", {"fast": 5, "slow": 20}, max_drawdown=0.1)], "fast", "slow", "max_drawdown",
                           [5, 10], [20])
    assert drawdown[0, 0] == 0.1 and np.isnan(drawdown[0, 1])  # smaller is better; empty cells blank
    pytest.importorskip("matplotlib")
    path = write_heatmap(tmp_path / "heatmap.png", rows, [("fast", [5, 10]), ("slow", [20, 30, 40])], "sharpe")
    assert path is not None and path.read_bytes()[:4] == b"\x89PNG"
    assert write_heatmap(tmp_path / "one.png", rows, [("fast", [5, 10])], "sharpe") is None
