"""How fast a sweep runs: 1,000 points of simple_backtest over the bundled S&P 500 data (5,031 bars).

One compilation serves every point (parameters are runtime inputs), and each executor runs
the same grid: `fast` in 2..41 by `slow` in 20..265. Prints, per executor, the wall time of
the whole sweep (the first point's compilation, or its load from the cache, included), the
points per second after the first point, and the speed-up over the baseline measured in the
same run: every point as its own `flowc run --set fast=F --set slow=S` subprocess (timed on a
few points and extrapolated to 1,000). Also checks that every executor gives the same rows.
Run:

    python benchmarks/sweep_speed.py [--workers N] [--baseline-points K] [--no-dask]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flowc.runtime.manager import prepare
from flowc.runtime.sweep.executor import make_executor
from flowc.runtime.sweep.grid import grid, point_key
from flowc.runtime.sweep.job import make_job
from flowc.runtime.sweep.runner import run_tasks
from flowc.runtime.sweep.task import Task

ROOT = Path(__file__).resolve().parent.parent
SIMPLE = ROOT / "examples" / "simple_backtest.flow"
GRID = f"""\
import "{SIMPLE.as_posix()}"

workflow thousand "1,000 points of the crossover windows" {{
    containers    = simple_backtest
    communication = pipeline
    sweep fast in range(2, 42)
    sweep slow in range(20, 270, 10)
    objective = sharpe
}}
"""


def baseline(points: list[dict], count: int) -> float:
    """Seconds per point when every point is its own `flowc run` process."""
    chosen = points[:: max(1, len(points) // count)][:count]
    start = time.perf_counter()
    for values in chosen:
        sets = [arg for name, value in values.items() for arg in ("--set", f"{name}={value}")]
        subprocess.run([sys.executable, "-m", "flowc.runtime", "run", str(SIMPLE), *sets, "--json"], check=True,
                       capture_output=True)
    return (time.perf_counter() - start) / len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--baseline-points", type=int, default=5)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="flowc-sweep-bench-"))
    path = folder / "thousand.flow"
    path.write_text(GRID, encoding="utf-8")
    executors = ["inline", "process"] + ([] if args.no_dask else ["dask"])
    print(f"simple_backtest, 1,000 points over 5,031 bars; {args.workers} workers on {os.cpu_count()} cores")

    per_point = baseline(grid(prepare(path).analysis.sweeps), args.baseline_points)
    print(f"{'flowc run per point':<22} {per_point * 1000:>10.1f} s (extrapolated from {args.baseline_points} "
          f"subprocesses, {1 / per_point:.2f} points/s)")

    reference = None
    for kind in executors:
        prepared = prepare(path)  # a fresh client each time: compilation comes from the on-disk cache
        tasks = [Task(point_key(v), v) for v in grid(prepared.analysis.sweeps)]
        assert len(tasks) == 1000
        start = time.perf_counter()
        executor = make_executor(kind, args.workers)
        started = time.perf_counter() - start
        try:
            job = make_job(prepared, path, None, ())
            outcome = run_tasks(job, tasks, executor)
        finally:
            executor.close()
        total = time.perf_counter() - start
        rows = [(r["key"], r["status"], r["metrics"]) for r in outcome.rows]
        assert all(status == "ok" for _, status, _ in rows)
        if reference is None:
            reference = rows
        assert rows == reference, f"{kind} differs from inline"
        print(f"{kind:<22} {total:>10.2f} s  {outcome.rate:>8,.0f} points/s after the first  "
              f"{1000 / total:>7,.0f} points/s overall  x{per_point * 1000 / total:,.0f} over flowc run per point"
              + (f"  (cluster start {started:.1f} s)" if kind == "dask" else ""))


if __name__ == "__main__":
    main()
