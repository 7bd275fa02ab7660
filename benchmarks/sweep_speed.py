"""How fast a sweep runs: 1,000 points of simple_backtest over the bundled S&P 500 data (5,031 bars).

One compilation serves every point (parameters are runtime inputs), and each executor runs
the same grid: `fast` in 2..41 by `slow` in 20..265. Prints, per executor, the wall time of
the whole sweep (the first point's compilation, or its load from the cache, included), the
points per second after the first point, and the speed-up over the baseline measured in the
same run: every point as its own `flowc run --set fast=F --set slow=S` subprocess (timed on a
few points and extrapolated to 1,000). Also times points taken one by one through Python in
this process (what an executor did per point before chunks ran as one jitted call), and checks
that every executor gives the same rows.
Prints a Markdown table (progress goes to stderr). Run:

    python benchmarks/sweep_speed.py [--workers N] [--baseline-points K] [--no-dask] [--quick]
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
from flowc.runtime.sweep.job import load, make_job
from flowc.runtime.sweep.runner import run_tasks
from flowc.runtime.sweep.task import Task, run_task

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
        subprocess.run([sys.executable, "-m", "flowc.tools", "run", str(SIMPLE), *sets, "--json"], check=True,
                       capture_output=True)
    return (time.perf_counter() - start) / len(chosen)


def one_by_one(path: Path, count: int = 200) -> float:
    """Seconds per point when each point goes through Python (run_prepared, then summarise), in this process."""
    prepared = prepare(path)
    loaded = load(make_job(prepared, path, None, ()))
    tasks = [Task(point_key(v), v) for v in grid(prepared.analysis.sweeps)][:count]
    run_task(loaded, tasks[0])  # compiles, or loads from the cache
    start = time.perf_counter()
    for task in tasks:
        run_task(loaded, task)
    return (time.perf_counter() - start) / len(tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--baseline-points", type=int, default=5)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--quick", action="store_true", help="two baseline subprocesses (for run_all.py --quick)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="flowc-sweep-bench-"))
    path = folder / "thousand.flow"
    path.write_text(GRID, encoding="utf-8")
    executors = ["inline", "process"] + ([] if args.no_dask else ["dask"])
    count = 2 if args.quick else args.baseline_points
    per_point = baseline(grid(prepare(path).analysis.sweeps), count)
    alone = one_by_one(path)
    table = [(f"`flowc run` per point (extrapolated from {count})", per_point * 1000, None, 1 / per_point),
             ("point by point through Python, in one process", alone * 1000, 1 / alone, 1 / alone)]
    print(f"  flowc run per point: {per_point:.2f} s; point by point: {alone * 1e3:.3f} ms", file=sys.stderr)

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
        name = f"`--executor {kind}`" + (f" (cluster start {started:.1f} s included)" if kind == "dask" else "")
        table.append((name, total, outcome.rate, 1000 / total))
        print(f"  {kind}: {total:.2f} s, {outcome.rate:,.0f} points/s after the first", file=sys.stderr)

    print(f"simple_backtest's crossover at 1,000 points (`fast` 2..41 x `slow` 20..265) over the bundled S&P 500 "
          f"sample (5,031 bars); {args.workers} workers on {os.cpu_count()} cores. Every executor gives the same "
          "rows; each chunk of points is one jitted call.\n")
    print("| run | seconds, 1,000 points | points/s after the first | ms per point | points/s overall "
          "| faster than `flowc run` per point |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, total, rate, overall in table:
        after = f"{rate:,.0f} | {1e3 / rate:.3f}" if rate else f"- | {total:,.0f}"
        print(f"| {name} | {shown(total)} | {after} | {shown(overall)} | {per_point * 1000 / total:,.0f}x |")


def shown(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"


if __name__ == "__main__":
    main()
