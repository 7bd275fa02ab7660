"""A chunk of points in one jitted call: each batched row equals the point run alone through Python.

Every test compares `batch.run_chunk` with `task.run_task` (run_prepared, then summarise) point
by point, exactly: sma_grid's 24 points, several symbols, walk-forward windows, points that
share the hoisted prefix, a point failing a check, and a driver that raises.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from flowc.runtime.manager import prepare
from flowc.runtime.sweep import batch
from flowc.runtime.sweep.batch import driver_source, run_chunk
from flowc.runtime.sweep.grid import grid, point_key
from flowc.runtime.sweep.job import load, make_job
from flowc.runtime.sweep.task import Task, run_task
from flowc.runtime.sweep.walk_forward import make_windows, window_task
from flowc.tools.cli import main
from tests.conftest import EXAMPLES
from tests.runtime.test_replay import REPLAYED
from tests.sweep.conftest import SMA_GRID
from tests.sweep.flows import flow_file
from tests.test_differential import FUTURES, SHAPES


def job_of(path, *overrides: str):
    prepared = prepare(path, None, overrides)
    return prepared, make_job(prepared, path, None, overrides)


MANY = 10**9  # points enough that the driver is worth compiling (`batch.batched`)


def assert_same_as_alone(job, tasks: list[Task]) -> list[dict]:
    batched = run_chunk(replace(job, points=MANY), tasks)
    loaded = load(job)
    alone = [run_task(loaded, task) for task in tasks]
    assert [r["key"] for r in batched] == [t.key for t in tasks]
    for b, a in zip(batched, alone, strict=True):
        assert (b["status"], b["error"], b["metrics"]) == (a["status"], a["error"], a["metrics"]), b["key"]
    return batched


def test_sma_grid_batched_equals_single_runs(sma_grid, expected):
    job = make_job(sma_grid, SMA_GRID, None, ())
    tasks = [Task(point_key(v), v) for v in grid(sma_grid.analysis.sweeps)]
    rows = assert_same_as_alone(job, tasks)
    assert len(rows) == 24 and all(r["status"] == "ok" for r in rows)
    for r in rows:
        assert r["metrics"] == expected[(r["values"]["fast"], r["values"]["slow"])]


def test_several_symbols(tmp_path):
    path = flow_file(tmp_path, "sweep fast in [5, 10, 20]\nsweep slow in [30, 60]",
                     source='[sample("sp500", symbol = "SPX"), sample("nasdaq", symbol = "NDX")]')
    prepared, job = job_of(path)
    assert prepared.market.n_symbols == 2
    rows = assert_same_as_alone(job, [Task(point_key(v), v) for v in grid(prepared.analysis.sweeps)])
    assert all(r["status"] == "ok" and r["metrics"]["symbols"] == 2 for r in rows)


def test_two_portfolios(tmp_path):
    path = tmp_path / "two_books.flow"
    path.write_text(SHAPES["two_books"].replace("workflow w {", "workflow w { sweep n in [5, 10, 20];"))
    prepared, job = job_of(path)
    rows = assert_same_as_alone(job, [Task(point_key(v), v) for v in grid(prepared.analysis.sweeps)])
    assert all(r["status"] == "ok" and r["metrics"]["trades"] > 0 for r in rows)


@pytest.mark.slow
def test_futures_with_a_swept_multiplier(tmp_path):
    """Each point's trades in cash at its own multiplier (docs/semantics.md, 8b): batched as alone."""
    path = tmp_path / "futures.flow"
    path.write_text(FUTURES.replace("workflow w {", "workflow w { sweep m_es in [5, 50]; sweep w in [5, 20];"))
    prepared, job = job_of(path)
    rows = assert_same_as_alone(job, [Task(point_key(v), v) for v in grid(prepared.analysis.sweeps)])
    assert all(r["status"] == "ok" and r["metrics"]["trades"] > 0 for r in rows)
    assert len({r["metrics"]["avg_trade"] for r in rows}) == 4


def test_walk_forward_windows(tmp_path):
    path = flow_file(tmp_path, "sweep fast in [5, 10]\nsweep slow in [30, 50]")
    prepared, job = job_of(path)
    points = grid(prepared.analysis.sweeps)
    windows = make_windows(prepared.market.n_steps, 1000, 500, 500)[:3]
    tasks = [window_task(v, w, steps, 60) for w in windows for steps in (w.train, w.test) for v in points]
    rows = assert_same_as_alone(job, tasks)  # one chunk, six runs of steps
    assert {r["metrics"]["steps"] for r in rows} == {1000, 500}


def test_points_sharing_the_prefix(tmp_path):
    """Points differing only in risk and execution settings reuse the hoisted features between them."""
    text = (EXAMPLES / "simple_backtest.flow").read_text(encoding="utf-8")
    text = text.replace("size = fixed(100)", "size = fixed(units)").replace("percent(0.1)", "percent(fee)")
    text = "param units: float = 100\nparam fee: float = 0.1\n" + text.replace(
        'workflow simple_backtest "Simple backtest workflow with linear pipeline" {',
        "workflow shared {\n    sweep fast in [10, 20]\n    sweep units in [50, 100, 200]\n    sweep fee in [0, 0.1]")
    path = tmp_path / "shared.flow"
    path.write_text(text, encoding="utf-8")
    prepared, job = job_of(path)
    load(job).compiled()
    assert prepared.program.generated.prefix_slots  # fast, slow: units and fee are not read by the prefix
    tasks = [Task(point_key(v), v) for v in grid(prepared.analysis.sweeps)]
    rows = assert_same_as_alone(job, tasks[::-1])  # prefixes interleaved: the batch puts equal ones together
    assert len({r["metrics"]["final_equity"] for r in rows}) == 12


def test_a_point_failing_a_check_fails_alone(tmp_path):
    path = flow_file(tmp_path, "sweep fast in [5, 0, 10]\nsweep slow in [30]")
    prepared, job = job_of(path)
    rows = assert_same_as_alone(job, [Task(point_key(v), v) for v in grid(prepared.analysis.sweeps)])
    assert [r["status"] for r in rows] == ["ok", "failed", "ok"]
    assert rows[1]["error"].startswith("FL509 the window of `sma`")


def test_a_driver_that_raises_runs_its_points_one_by_one(sma_grid, expected, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(batch, "_drive", broken)
    job = replace(make_job(sma_grid, SMA_GRID, None, ()), points=MANY)
    rows = run_chunk(job, [Task(point_key(v), v) for v in grid(sma_grid.analysis.sweeps)[:3]])
    assert [r["metrics"] for r in rows] == [expected[(r["values"]["fast"], r["values"]["slow"])] for r in rows]


def test_the_driver_is_generated_from_the_buffers(sma_grid):
    load(make_job(sma_grid, SMA_GRID, None, ())).compiled()
    source = driver_source(sma_grid.program)
    assert "def batch(" in source and "equity_out[k, t, j] = equity[trade_from + t, j]" in source
    for b in sma_grid.program.generated.buffers:
        assert f"{b.name} = np.empty(" in source


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("capture")
    assert main(["run", str(EXAMPLES / "full_backtest.flow"), "--capture-signals", str(folder / "signals"),
                 "--quiet"]) == 0
    path = folder / "replayed.flow"
    path.write_text(REPLAYED)
    return path


def test_a_window_replays_the_signals_of_its_own_steps(replayed):
    """A walk-forward window of a replay equals the same window of the original run."""
    original, original_job = job_of(EXAMPLES / "full_backtest.flow")
    _, replay_job = job_of(replayed)
    window = make_windows(original.market.n_steps, 2000, 1000, 1000)[1]
    tasks = [window_task({}, window, steps, 100) for steps in (window.train, window.test)]
    rows = assert_same_as_alone(replay_job, tasks)
    assert [r["metrics"] for r in rows] == [r["metrics"] for r in run_chunk(original_job, tasks)]
    assert all(r["status"] == "ok" and r["metrics"]["trades"] > 0 for r in rows)


def test_a_small_sweep_runs_its_points_one_by_one_until_the_driver_is_compiled(sma_grid, monkeypatch):
    loaded = load(make_job(sma_grid, SMA_GRID, None, ()))
    monkeypatch.setattr(batch, "on_disk", lambda kernel, accepts=None: False)
    monkeypatch.setattr(batch, "in_process", lambda kernel, accepts=None: False)
    assert not batch.batched(loaded, 24)  # 24 points through Python: milliseconds; the driver: seconds
    assert batch.batched(loaded, 1_000_000)
    monkeypatch.setattr(batch, "on_disk", lambda kernel, accepts=None: True)
    assert batch.batched(loaded, 1)
def test_the_expression_operators_and_a_lag_that_would_look_ahead(tmp_path):
    """Lags, rolling windows, crosses, `hold` and the calendar (the step timestamps) batched; lag 0 fails FL512."""
    path = tmp_path / "operators.flow"
    path.write_text(SHAPES["operators"].replace("workflow w {", "workflow w { sweep lag in [0, 1, 4];"))
    prepared, job = job_of(path)
    rows = assert_same_as_alone(job, [Task(point_key(v), v) for v in grid(prepared.analysis.sweeps)])
    assert [r["status"] for r in rows] == ["failed", "ok", "ok"] and "FL512" in rows[0]["error"]
    windows = make_windows(prepared.market.n_steps, 120, 60, 60)[:2]
    assert_same_as_alone(job, [window_task({"lag": 2}, w, steps, 30) for w in windows for steps in (w.train, w.test)])
