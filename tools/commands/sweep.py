"""The sweep path of `flowc run`: every point of a workflow's grid (or its walk-forward), on an executor.

The work is in `flowc.runtime.sweep`; this module turns the command line into a job, a store
and an executor, and the outcome into files, a table and an exit code: 0 when every point
finished, 1 when some point failed (each is in the outputs with its message), 2 for a bad
`--executor` or an output directory holding another sweep, 130 after Ctrl-C (what finished
is stored and written; the same command resumes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from flowc.runtime.manager import Prepared
from flowc.runtime.sweep.executor import Executor, UnknownExecutor, make_executor, max_workers
from flowc.runtime.sweep.grid import grid, point_key
from flowc.runtime.sweep.job import Job, make_job
from flowc.runtime.sweep.runner import Outcome, run_tasks
from flowc.runtime.sweep.store import Store, StoreMismatch
from flowc.runtime.sweep.task import Task, ranked
from flowc.tools.exit_codes import EXIT_ERRORS, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from flowc.tools.manifest import parse_data
from flowc.tools.sweeps.progress import SweepProgress
from flowc.tools.sweeps.tables import flat, frame, parquet_note, top_table, write_tables


def run_sweep(prepared: Prepared, args: argparse.Namespace) -> int:
    """Every point of the workflow's grid, one compilation for all, ranked by the objective.

    `--engine auto` is the compiled engine here: a sweep's points share one compilation.
    """
    engine = getattr(args, "engine", "auto").replace("auto", "compiled")
    job = make_job(prepared, args.file, args.workflow, args.overrides, hoist=not getattr(args, "no_hoist", False),
                   engine=engine, data=parse_data(getattr(args, "data", None) or []),
                   start=getattr(args, "start", None), end=getattr(args, "end", None))
    watching = sys.stderr.isatty() and not args.quiet and not args.json
    try:
        store = _store(prepared, job, args)
        kind, workers = getattr(args, "executor", "process") or "process", getattr(args, "workers", None)
        if workers is not None and workers > max_workers() and kind in ("process", "dask"):
            sys.stderr.write(f"flowc: warning: --workers {workers}: this machine gives flowc {max_workers()} "
                             f"core{'s' * (max_workers() != 1)}; starting {max_workers()} workers\n")
        executor = make_executor(kind, workers)
    except (UnknownExecutor, StoreMismatch, RuntimeError, OSError, ValueError, TimeoutError) as exc:
        sys.stderr.write(f"flowc: {exc}\n")  # ValueError: a Dask address such as dask://::: (distributed's words)
        return EXIT_USAGE
    try:
        if prepared.analysis.walk_forward:
            from flowc.tools.commands.walk_forward import report_walk_forward

            return report_walk_forward(prepared, job, executor, store, args, watching)
        return _plain(prepared, job, executor, store, args, watching)
    finally:
        executor.close()
        if store is not None:
            store.close()


def _store(prepared: Prepared, job: Job, args: argparse.Namespace) -> Store | None:
    if not args.out:
        return None
    return Store.open(args.out, signature(prepared, job), workflow=prepared.analysis.name,
                      params=[s.param for s in prepared.analysis.sweeps])


def signature(prepared: Prepared, job: Job) -> str:
    """What every stored point depends on besides its values (walk-forward windows included)."""
    wf = prepared.analysis.walk_forward
    return job.fingerprint + ("" if not wf else "|wf:" + json.dumps(wf, sort_keys=True))


def _plain(prepared: Prepared, job: Job, executor: Executor, store: Store | None, args: argparse.Namespace,
           watching: bool) -> int:
    sweeps = prepared.analysis.sweeps
    params = [s.param for s in sweeps]
    tasks = [Task(point_key(values), values, trade_from=prepared.trade_from) for values in grid(sweeps)]
    done = len(store.finished() & {t.key for t in tasks}) if store is not None else 0
    progress = SweepProgress(len(tasks), done=done, enabled=watching, what=prepared.analysis.name)
    outcome = run_tasks(job, tasks, executor, store=store, progress=progress)
    objective = prepared.analysis.objective
    rows = ranked(outcome.rows, objective)
    if args.out:
        table = frame(rows, params)
        note = parquet_note(write_tables(args.out, table))
        if note and not args.quiet:
            sys.stderr.write(note)
        if len(params) >= 2:
            from flowc.tools.sweeps.heatmap import write_heatmap

            shown = write_heatmap(Path(args.out) / "heatmap.png", outcome.rows, [(s.param, s.values) for s in sweeps],
                                  objective, f"{prepared.analysis.name}: {objective}")
            if shown is None and not args.quiet:
                sys.stderr.write("flowc: no heatmap.png: it needs matplotlib (pip install 'flowc[report]')\n")
    if args.json:
        sys.stdout.write(json.dumps([flat(r, params) for r in rows], indent=2) + "\n")
    elif not args.quiet:
        _report(prepared, rows, params, outcome, len(tasks), executor)
    return finish(outcome, len(tasks), args)


def _report(prepared: Prepared, rows: list, params: list[str], outcome: Outcome, total: int,
            executor: Executor) -> None:
    from rich.console import Console

    console = Console()
    objective = prepared.analysis.objective
    ok = [r for r in rows if r["status"] == "ok"]
    console.print(top_table(f"{prepared.analysis.name}: top {min(10, len(ok))} of {total} points by {objective}",
                            ok, params, objective))
    if outcome.ran == 0:
        console.print(f"[dim]nothing to run: all {outcome.reused} points were in the store[/dim]")
        return
    reused = f"; {outcome.reused} more were in the store" if outcome.reused else ""
    console.print(f"[dim]{outcome.ran} points in {outcome.elapsed:.2f}s on {executor.name}: the first "
                  f"{outcome.first:.2f}s (compiling), then {outcome.rate:,.0f} points/s{reused}[/dim]")


def finish(outcome: Outcome, total: int, args: argparse.Namespace) -> int:
    failed = [r for r in outcome.rows if r["status"] != "ok"]
    for r in failed[:5]:
        sys.stderr.write(f"flowc: point {json.dumps(r['values'])} failed: {r['error']}\n")
    if len(failed) > 5:
        sys.stderr.write(f"flowc: ... and {len(failed) - 5} more failed points\n")
    if outcome.interrupted:
        missing = total - len(outcome.rows)
        hint = " run the same command again to resume" if args.out else " use --out DIR to make sweeps resumable"
        sys.stderr.write(f"flowc: interrupted with {missing} of {total} points not run;{hint}\n")
        return EXIT_INTERRUPTED
    return EXIT_ERRORS if failed else EXIT_OK
