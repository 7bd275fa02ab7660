"""Sweeps on a real Dask cluster: a scheduler and two workers, separate processes talking TCP on 127.0.0.1.

Nothing is mocked: the cluster is started with the `dask scheduler` and `dask worker`
commands (one module-wide cluster, since start-up is slow), the sweep reaches it through
`--executor dask://HOST:PORT`, and one test kills a worker process in the middle of a sweep.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

distributed = pytest.importorskip("distributed")

from flowc.runtime.manager import prepare  # noqa: E402
from flowc.runtime.metrics import METRIC_KEYS  # noqa: E402
from flowc.runtime.sweep.cluster import DaskExecutor  # noqa: E402
from flowc.runtime.sweep.executor import make_executor  # noqa: E402
from flowc.runtime.sweep.grid import grid, point_key  # noqa: E402
from flowc.runtime.sweep.job import make_job  # noqa: E402
from flowc.runtime.sweep.runner import run_tasks  # noqa: E402
from flowc.runtime.sweep.task import Task  # noqa: E402
from flowc.tools.cli import main  # noqa: E402
from tests.sweep.conftest import SMA_GRID  # noqa: E402
from tests.sweep.flows import flow_file  # noqa: E402
from tests.sweep.test_range import GRID, RANGE, check, expected_rows, scaled_prices  # noqa: E402

START_TIMEOUT = 60.0


def _spawn(args: list[str], log) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # FLOWC_CACHE_DIR and NUMBA_CACHE_DIR come along
    return subprocess.Popen([sys.executable, "-m", *args], stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers (no nanny: killing a worker kills it)."""
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    log = (folder / "cluster.log").open("w")
    processes = [_spawn(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                         "--scheduler-file", str(scheduler_file)], log)]
    deadline = time.monotonic() + START_TIMEOUT
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    address = json.loads(scheduler_file.read_text())["address"]
    for _ in range(2):
        processes.append(_spawn(["distributed.cli.dask_worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                 "--no-nanny", "--no-dashboard", "--death-timeout", "60"], log))
    client = distributed.Client(address, timeout=START_TIMEOUT)
    try:
        client.wait_for_workers(2, timeout=START_TIMEOUT)
        yield {"address": address, "client": client, "workers": processes[1:]}
    finally:
        client.close()
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def test_sma_grid_on_the_cluster_equals_single_runs(cluster, capsys, expected):
    assert cluster["address"].startswith("tcp://127.0.0.1:")
    executor = "dask://" + cluster["address"].split("://", 1)[1]
    assert main(["run", str(SMA_GRID), "--executor", executor, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 24
    for r in rows:
        assert r["status"] == "ok"
        assert {k: r[k] for k in METRIC_KEYS} == expected[(r["fast"], r["slow"])]
    # both workers took part: each prepared the job and holds it in its cache
    held = cluster["client"].run(lambda: len(__import__("flowc.runtime.sweep.job", fromlist=["_CACHE"])._CACHE))
    assert len(held) == 2 and all(n >= 1 for n in held.values())


def test_a_worker_killed_mid_sweep_loses_no_point(cluster, tmp_path):
    """Slow points (200,000 bars each); one worker is killed while it holds work; every point finishes."""
    path = flow_file(tmp_path, "sweep fast in [5, 10, 15, 20]\nsweep slow in [30, 40, 50, 60, 70, 80]",
                     source="synthetic(bars = 50_000, symbols = 4, seed = 7)")
    prepared = prepare(path)
    job = make_job(prepared, path, None, ())
    tasks = [Task(point_key(v), v) for v in grid(prepared.analysis.sweeps)]
    client, victim = cluster["client"], cluster["workers"][1]
    killed, seen = [], []

    def kill_when_busy(rows):
        seen.extend(rows)
        if killed:
            return
        processing = client.processing()
        busy = [w for w, keys in processing.items() if keys]
        if len(busy) == 2:  # both workers hold tasks: kill the second worker process
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            killed.append(len(seen))

    executor = DaskExecutor(cluster["address"])
    try:
        outcome = run_tasks(job, tasks, executor, on_rows=kill_when_busy)
    finally:
        executor.close()
    assert killed and killed[0] < 24 - 2, "the sweep finished before a worker could be killed"
    assert len(outcome.rows) == len(tasks) == 24
    assert all(r["status"] == "ok" for r in outcome.rows), [r["error"] for r in outcome.rows if r["error"]]
    assert len(client.scheduler_info()["workers"]) == 1
    inline = run_tasks(job, tasks, make_executor("inline"))
    assert [r["metrics"] for r in outcome.rows] == [r["metrics"] for r in inline.rows]


def test_executor_dask_starts_its_own_local_cluster(capsys, expected):
    """`--executor dask`: a LocalCluster of worker processes for this run only."""
    assert main(["run", str(SMA_GRID), "--executor", "dask", "--workers", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 24
    for r in rows:
        assert {k: r[k] for k in METRIC_KEYS} == expected[(r["fast"], r["slow"])]


def test_a_sweep_on_the_cluster_honours_start_end_and_data(cluster, tmp_path, capsys, monkeypatch):
    """The workers prepare the job themselves, from its `--data` (made absolute), `--start` and `--end`."""
    path = flow_file(tmp_path, GRID)
    scaled_prices(tmp_path)
    monkeypatch.chdir(tmp_path)  # the workers run elsewhere: a relative --data path would not reach them
    expected = expected_rows(path, {"SPX": "spx.csv"})
    executor = "dask://" + cluster["address"].split("://", 1)[1]
    assert main(["run", str(path), *RANGE, "--data", "SPX=spx.csv", "--executor", executor, "--json"]) == 0
    check(json.loads(capsys.readouterr().out), expected)
