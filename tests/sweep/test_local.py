"""Sweeps on the in-process and process-pool executors, end to end through `flowc run`.

- sma_grid's 24 points agree exactly across executors, and each equals the single run of
  simple_backtest with the same `--set` values;
- a point that raises is recorded as failed with its message and the sweep goes on;
- a worker process that dies costs only the point that killed it;
- an interrupted sweep resumes from its store without running finished points again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from flowc.runtime.manager import prepare
from flowc.runtime.metrics import METRIC_KEYS
from flowc.runtime.sweep import batch as batch_module
from flowc.runtime.sweep.executor import make_executor
from flowc.runtime.sweep.grid import grid, point_key
from flowc.runtime.sweep.job import make_job
from flowc.runtime.sweep.runner import run_tasks
from flowc.runtime.sweep.store import Store
from flowc.runtime.sweep.task import Task
from flowc.tools.cli import main
from flowc.tools.commands.run import run_once
from tests.conftest import EXAMPLES
from tests.sweep.conftest import SMA_GRID
from tests.sweep.flows import flow_file


def sweep_json(capsys, *argv: str) -> tuple[int, list[dict]]:
    code = main(["run", *argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.mark.parametrize("executor", ["inline", "process"])
def test_sma_grid_points_equal_single_runs(capsys, expected, executor):
    code, rows = sweep_json(capsys, str(SMA_GRID), "--executor", executor, "--workers", "2")
    assert code == 0 and len(rows) == 24
    for r in rows:
        assert r["status"] == "ok" and r["error"] is None
        assert {k: r[k] for k in METRIC_KEYS} == expected[(r["fast"], r["slow"])]
    sharpe = [r["sharpe"] for r in rows]
    defined = [v for v in sharpe if v is not None]
    assert sharpe == sorted(defined, reverse=True) + [None] * (24 - len(defined))  # ranked; undefined last


def test_a_point_equals_flowc_run_with_set(sma_grid, expected):
    for fast, slow in [(5, 20), (20, 90), (10, 30)]:
        single = prepare(EXAMPLES / "simple_backtest.flow", None, [f"fast={fast}", f"slow={slow}"])
        assert run_once(single).metrics == expected[(fast, slow)]


def test_outputs(tmp_path, capsys, expected):
    out = tmp_path / "out"
    assert main(["run", str(SMA_GRID), "--executor", "inline", "--out", str(out), "--quiet"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"sweep.csv", "sweep.parquet", "sweep.jsonl"} <= names
    csv = pd.read_csv(out / "sweep.csv")
    assert list(csv.columns) == ["fast", "slow", *METRIC_KEYS, "status", "error"]
    parquet = pd.read_parquet(out / "sweep.parquet")
    assert list(parquet.columns) == list(csv.columns) and len(parquet) == 24
    for r in parquet.to_dict("records"):
        want = expected[(r["fast"], r["slow"])]
        assert r["final_equity"] == want["final_equity"] and r["trades"] == want["trades"]
    pytest.importorskip("matplotlib")
    assert (out / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_failing_point_is_recorded_and_the_sweep_goes_on(tmp_path, capsys):
    path = flow_file(tmp_path, "sweep fast in [0, 5, 10]\nsweep slow in [30]")
    out = tmp_path / "out"
    code = main(["run", str(path), "--executor", "process", "--workers", "2", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 1
    rows = {r["fast"]: r for r in json.loads(captured.out)}
    assert rows[0]["status"] == "failed" and "FL509" in rows[0]["error"] and "window" in rows[0]["error"]
    assert rows[0]["sharpe"] is None
    assert rows[5]["status"] == rows[10]["status"] == "ok"
    assert "failed: FL509" in captured.err
    csv = pd.read_csv(out / "sweep.csv")
    assert sorted(csv["status"]) == ["failed", "ok", "ok"]


def test_a_dying_worker_costs_only_its_point(tmp_path, sma_grid, expected, monkeypatch):
    """A point that kills its worker process: the pool is rebuilt and every other point finishes."""
    killer = point_key({"fast": 10, "slow": 50})
    real_batch, real_task = batch_module.run_batch, batch_module.run_task

    def die_at_killer(tasks):
        if any(task.key == killer for task in tasks) and os.getpid() != parent:
            os._exit(3)  # like a crash in native code: no exception, no clean-up

    def run_batch(loaded, tasks):
        die_at_killer(tasks)
        return real_batch(loaded, tasks)

    def run_task(loaded, task, *args):  # a small sweep runs its points one by one (`batch.batched`)
        die_at_killer([task])
        return real_task(loaded, task, *args)

    parent = os.getpid()
    monkeypatch.setattr(batch_module, "run_batch", run_batch)  # forked workers inherit the patch
    monkeypatch.setattr(batch_module, "run_task", run_task)
    job = make_job(sma_grid, SMA_GRID, None, ())
    tasks = [Task(point_key(v), v) for v in grid(sma_grid.analysis.sweeps)]
    tasks = [t for t in tasks if t.key != killer] + [t for t in tasks if t.key == killer]  # not the probe point
    executor = make_executor("process", 2)
    try:
        outcome = run_tasks(job, tasks, executor)
    finally:
        executor.close()
    assert len(outcome.rows) == 24
    by_key = {r["key"]: r for r in outcome.rows}
    assert by_key.pop(killer)["error"] == "the worker process died while running this point"
    for r in by_key.values():
        assert r["status"] == "ok"
        assert r["metrics"] == expected[(r["values"]["fast"], r["values"]["slow"])]


def test_an_interrupted_sweep_resumes_without_rerunning(tmp_path, sma_grid, expected):
    job = make_job(sma_grid, SMA_GRID, None, ())
    tasks = [Task(point_key(v), v) for v in grid(sma_grid.analysis.sweeps)]
    seen = []

    def interrupt(rows):
        seen.extend(rows)
        if len(seen) >= 7:
            raise KeyboardInterrupt  # as Ctrl-C would, between two chunks

    with Store.open(tmp_path, "sig") as store:
        first = run_tasks(job, tasks, make_executor("inline"), store=store, on_rows=interrupt)
    assert first.interrupted and 7 <= len(first.rows) < 24
    done = {r["key"]: r for r in first.rows}

    ran = []
    with Store.open(tmp_path, "sig") as store:
        assert store.finished() == set(done)
        second = run_tasks(job, tasks, make_executor("inline"), store=store, on_rows=ran.extend)
    assert not second.interrupted and second.reused == len(done) and second.ran == 24 - len(done)
    assert not {r["key"] for r in ran} & set(done)  # finished points were not run again
    assert [r["key"] for r in second.rows] == [t.key for t in tasks]
    for r in second.rows:
        assert r["run"] == (first.run_id if r["key"] in done else second.run_id)
        assert r["metrics"] == expected[(r["values"]["fast"], r["values"]["slow"])]
    lines = (tmp_path / "sweep.jsonl").read_text().splitlines()
    assert len(lines) == 1 + 24  # the header, then each point once


def test_cli_resume_skips_finished_points(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(SMA_GRID), "--executor", "inline", "--out", str(out), "--quiet"]) == 0
    before = (out / "sweep.jsonl").read_text()
    assert main(["run", str(SMA_GRID), "--executor", "process", "--out", str(out)]) == 0
    assert (out / "sweep.jsonl").read_text() == before  # nothing ran, nothing was added
    assert "all 24 points were in the store" in " ".join(capsys.readouterr().out.split())


def test_ctrl_c_leaves_a_consistent_store_and_the_same_command_resumes(tmp_path):
    """A real SIGINT to the process group (as a terminal's Ctrl-C) in the middle of a process-pool sweep."""
    path = flow_file(tmp_path, "sweep fast in [4, 6, 8, 10, 12, 14]\nsweep slow in [30, 40, 50, 60, 70, 80, 90, 100]",
                     source="synthetic(bars = 40_000, symbols = 4, seed = 3)")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "flowc.tools", "run", str(path), "--executor", "process", "--workers", "2",
               "--out", str(out)]
    process = subprocess.Popen([*command, "--quiet"], start_new_session=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    store = out / "sweep.jsonl"
    deadline = time.monotonic() + 90
    while process.poll() is None and time.monotonic() < deadline:
        if store.exists() and len(store.read_text().splitlines()) >= 3:  # the header and two points
            break
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "run the same command again to resume" in err and "Traceback" not in err
    first = [json.loads(line) for line in store.read_text().splitlines()[1:]]
    assert 2 <= len(first) < 48
    assert len(pd.read_csv(out / "sweep.csv")) == len(first)  # the tables hold what finished

    resumed = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert len(json.loads(resumed.stdout)) == 48
    rows = [json.loads(line) for line in store.read_text().splitlines()[1:]]
    assert rows[:len(first)] == first  # the first run's points are kept as they were
    assert len(rows) == 48 and len({r["key"] for r in rows}) == 48  # and none of them ran again
    assert len({r["run"] for r in rows}) == 2
